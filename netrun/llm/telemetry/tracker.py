"""``RequestTracker``: times one LLM request and collects what the caller reports about it.

::

    with collector.track_request(provider="openai", model="gpt-4o") as tracker:
        response = call_the_model()
        tracker.set_usage(response.usage)

A tracker is what :meth:`TelemetryCollector.track_request
<netrun.llm.telemetry.collector.TelemetryCollector.track_request>` returns; leaving its
block hands the record to the collector. Framework-neutral: no Django import.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any

from netrun.core.blocks import AsyncWithSupport
from netrun.core.context import current_trace_context
from netrun.llm.telemetry.records import LLMRequestMetrics
from netrun.llm.types import usage_from

if TYPE_CHECKING:
    from netrun.llm.telemetry.collector import TelemetryCollector

__all__ = ["RequestTracker"]

#: Refusal codes whose ``details["rule"]`` names the policy or budget rule that refused.
_REFUSALS = {"LLM_POLICY_VIOLATION": "policy", "BUDGET_EXCEEDED": "budget"}


def _error_type(error: BaseException) -> str:
    # NetrunException codes (BUDGET_EXCEEDED, LLM_RATE_LIMITED, ...) are stable and bounded,
    # which Prometheus labels and dashboards need; other errors fall back to the class name.
    # A refusal is recorded by its rule ("policy:model_denied", "budget:daily_budget"), a
    # bounded set too, so refusals can be counted per rule.
    code = getattr(error, "error_code", None)
    if not isinstance(code, str) or not code:
        return type(error).__name__
    rule = (getattr(error, "details", None) or {}).get("rule")
    if code in _REFUSALS and isinstance(rule, str) and rule:
        return f"{_REFUSALS[code]}:{rule}"[:64]
    return code


def _current_trace() -> tuple[str | None, str | None, int]:
    trace = current_trace_context()
    if trace is not None:
        return trace.trace_id, trace.span_id, trace.trace_flags
    # An OpenTelemetry-instrumented app may carry its trace in OTel's context instead; ask it
    # only when the app has already imported it, so plain apps pay nothing.
    otel_trace = sys.modules.get("opentelemetry.trace")
    if otel_trace is not None:
        context = otel_trace.get_current_span().get_span_context()
        if context.is_valid:
            return (
                format(context.trace_id, "032x"),
                format(context.span_id, "016x"),
                int(context.trace_flags),
            )
    return None, None, 1


class RequestTracker(AsyncWithSupport):
    """Times one request and collects its tokens; a sync and async context manager.

    Leaving the block records the request: as a failure, with the exception's error code or
    class name as ``error_type``, when the block raised (the exception propagates).
    """

    __slots__ = ("_collector", "_recorded", "_start_ns", "metrics")

    def __init__(self, collector: TelemetryCollector, metrics: LLMRequestMetrics) -> None:
        self._collector = collector
        self.metrics = metrics
        self._start_ns = 0
        self._recorded = False

    # -- what the caller reports ------------------------------------------------------------

    def set_tokens(
        self,
        *,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
    ) -> None:
        """Token counts in :class:`~netrun.llm.types.Usage`'s convention (disjoint prompt parts).

        OpenAI's ``prompt_tokens`` include cached tokens: pass
        ``Usage.from_openai(...)`` to :meth:`set_usage` to have them split.
        """
        metrics = self.metrics
        metrics.input_tokens = input_tokens
        metrics.output_tokens = output_tokens
        metrics.cache_read_tokens = cache_read_tokens
        metrics.cache_write_tokens = cache_write_tokens
        metrics.reasoning_tokens = reasoning_tokens

    def set_usage(self, usage: Any) -> None:
        """Token counts from netrun's :class:`~netrun.llm.types.Usage` or any usage an official
        SDK returns (see :func:`~netrun.llm.types.usage_from`); an unknown shape raises
        :class:`~netrun.llm.types.UsageShapeError` rather than record a call as free."""
        counts = usage_from(usage)
        self.set_tokens(
            input_tokens=counts.input_tokens,
            output_tokens=counts.output_tokens,
            cache_read_tokens=counts.cache_read_tokens,
            cache_write_tokens=counts.cache_write_tokens,
            reasoning_tokens=counts.reasoning_tokens,
        )

    def first_token(self) -> None:
        """Mark the arrival of a stream's first token; later calls are ignored."""
        if self.metrics.ttft_ms is None and self._start_ns:
            self.metrics.ttft_ms = (time.perf_counter_ns() - self._start_ns) / 1e6
            self.metrics.streamed = True

    def set_cost(self, cost_usd: Decimal) -> None:
        """A cost known better than the price table's (a provider-reported bill)."""
        self.metrics.cost_usd = cost_usd
        self.metrics.priced = True

    def set_response_model(self, model: str) -> None:
        """The model that answered, when the provider resolved an alias to a snapshot."""
        self.metrics.response_model = model

    def fail(self, error_type: str) -> None:
        """Record a failure the block handled itself (a cut stream, a refused answer)."""
        self.metrics.success = False
        self.metrics.error_type = error_type

    # -- context manager ---------------------------------------------------------------------

    def __enter__(self) -> RequestTracker:
        self.metrics.started_at = time.time()
        self._start_ns = time.perf_counter_ns()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._finish(exc)

    def _finish(self, error: BaseException | None) -> None:
        if self._recorded:
            return
        self._recorded = True
        metrics = self.metrics
        metrics.latency_ms = (time.perf_counter_ns() - self._start_ns) / 1e6
        if error is not None:
            metrics.success = False
            metrics.error_type = _error_type(error)
        self._collector.submit(metrics)
