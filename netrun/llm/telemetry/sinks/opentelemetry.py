"""OpenTelemetry export: a span and GenAI metrics per LLM request (the ``[otel]`` extra).

Names follow the OpenTelemetry GenAI semantic conventions: spans ``"{operation} {model}"``
of kind CLIENT with ``gen_ai.operation.name``, ``gen_ai.provider.name`` (the conventions'
well-known values: ``openai``, ``azure.ai.openai``, ``anthropic``, ``gcp.gemini``; others,
such as ``ollama``, as netrun names them),
``gen_ai.request.model``, ``gen_ai.response.model``, ``gen_ai.usage.input_tokens`` (every
prompt token, cached ones included), ``gen_ai.usage.cache_read.input_tokens``,
``gen_ai.usage.cache_creation.input_tokens``, ``gen_ai.usage.output_tokens``,
``gen_ai.usage.reasoning.output_tokens``, ``error.type``, plus ``netrun.llm.cost_usd``; metrics
``gen_ai.client.token.usage``, ``gen_ai.client.operation.duration`` and
``gen_ai.client.operation.time_to_first_chunk`` (seconds) and the counter
``netrun.llm.cost_usd``.

Spans are written when the batch is flushed, with the request's real start and end times,
as children of the W3C trace context that was current when the request was tracked
(``netrun.core.context``, filled from the incoming ``traceparent`` and restored in Celery
tasks), so they land in the request's trace even though the flush thread exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.metrics import MeterProvider, get_meter_provider
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TracerProvider,
)

from netrun.llm.telemetry.records import LLMRequestMetrics

__all__ = ["PROVIDER_NAMES", "OpenTelemetrySink", "parent_context"]

_SCOPE = "netrun.llm"
# netrun's provider names -> the GenAI conventions' well-known gen_ai.provider.name values.
PROVIDER_NAMES = {
    "azure_openai": "azure.ai.openai",
    "gemini": "gcp.gemini",  # the Gemini API (generativelanguage.googleapis.com)
}
# The GenAI conventions' advisory buckets (seconds, tokens).
_DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)  # fmt: skip
_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)  # fmt: skip


def parent_context(record: LLMRequestMetrics) -> Context:
    """An OTel context whose current span is the record's remote parent (or an empty one)."""
    if not record.trace_id or not record.parent_span_id:
        return Context()
    try:
        span_context = SpanContext(
            trace_id=int(record.trace_id, 16),
            span_id=int(record.parent_span_id, 16),
            is_remote=True,
            trace_flags=TraceFlags(record.trace_flags),
        )
    except ValueError:
        return Context()
    if not span_context.is_valid:
        return Context()
    return trace.set_span_in_context(NonRecordingSpan(span_context), Context())


class OpenTelemetrySink:
    """Writes spans and GenAI metrics through the given (default: global) providers."""

    name = "opentelemetry"

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        spans: bool = True,
        metrics: bool = True,
    ) -> None:
        self._spans = spans
        self._metrics = metrics
        self._tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer(_SCOPE)
        meter = (meter_provider or get_meter_provider()).get_meter(_SCOPE)
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._ttft = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk",
            unit="s",
            description="Time to the first chunk of a streamed response.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._cost = meter.create_counter(
            "netrun.llm.cost_usd", unit="USD", description="Cost of priced LLM requests."
        )

    @staticmethod
    def _attributes(record: LLMRequestMetrics) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": record.operation,
            "gen_ai.provider.name": PROVIDER_NAMES.get(record.provider, record.provider),
            "gen_ai.request.model": record.model,
        }
        if record.response_model:
            attributes["gen_ai.response.model"] = record.response_model
        if not record.success:
            attributes["error.type"] = record.error_type or "_OTHER"
        return attributes

    def write(self, records: Sequence[LLMRequestMetrics]) -> None:
        for record in records:
            attributes = self._attributes(record)
            if self._metrics:
                self._record_metrics(record, attributes)
            if self._spans:
                self._record_span(record, attributes)

    def _record_metrics(self, record: LLMRequestMetrics, attributes: dict[str, Any]) -> None:
        self._duration.record(record.latency_ms / 1000.0, attributes)
        if record.ttft_ms is not None:
            self._ttft.record(record.ttft_ms / 1000.0, attributes)
        # The conventions record token usage without error.type.
        usage = {key: value for key, value in attributes.items() if key != "error.type"}
        if record.prompt_tokens:
            self._tokens.record(record.prompt_tokens, {**usage, "gen_ai.token.type": "input"})
        if record.output_tokens:
            self._tokens.record(record.output_tokens, {**usage, "gen_ai.token.type": "output"})
        if record.cost_usd is not None:
            self._cost.add(float(record.cost_usd), usage)

    def _record_span(self, record: LLMRequestMetrics, attributes: dict[str, Any]) -> None:
        span_attributes = {
            **attributes,
            "gen_ai.usage.input_tokens": record.prompt_tokens,
            "gen_ai.usage.output_tokens": record.output_tokens,
        }
        if record.cache_read_tokens:
            span_attributes["gen_ai.usage.cache_read.input_tokens"] = record.cache_read_tokens
        if record.cache_write_tokens:
            span_attributes["gen_ai.usage.cache_creation.input_tokens"] = record.cache_write_tokens
        if record.reasoning_tokens:
            span_attributes["gen_ai.usage.reasoning.output_tokens"] = record.reasoning_tokens
        if record.cost_usd is not None:
            span_attributes["netrun.llm.cost_usd"] = float(record.cost_usd)
        for key in ("tenant_id", "user_id", "correlation_id"):
            value = getattr(record, key)
            if value:
                span_attributes[f"netrun.{key}"] = value
        start_ns = int(record.started_at * 1e9)
        span = self._tracer.start_span(
            f"{record.operation} {record.model}",
            context=parent_context(record),
            kind=SpanKind.CLIENT,
            attributes=span_attributes,
            start_time=start_ns,
        )
        if not record.success:
            span.set_status(Status(StatusCode.ERROR, record.error_type))
        span.end(end_time=start_ns + int(record.latency_ms * 1e6))
