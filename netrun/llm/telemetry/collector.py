"""``TelemetryCollector``: records LLM requests on the request path, exports them off it.

::

    collector = TelemetryCollector(tenant_id="acme-corp", flush_interval_seconds=60)
    async with collector.track_request(provider="openai", model="gpt-4o",
                                       operation="chat_completion") as tracker:
        response = await client.chat.completions.create(...)
        tracker.set_tokens(input_tokens=..., output_tokens=...)
    collector.get_aggregated_metrics(hours=24).latency_p95_ms

On the request path a request costs a timer, a few context-variable reads and an append to a
bounded buffer under a lock; it never waits for I/O. A daemon thread flushes the buffer every
``flush_interval_seconds`` or as soon as ``flush_batch_size`` records wait, prices each record
(:func:`netrun.llm.pricing.cost_for`) and hands the batch to every sink. When the buffer is
full the oldest record is dropped and counted (``stats().dropped``): a slow sink must never
slow requests down or grow memory without bound. A sink that raises is counted, keeps the
batch for the next flushes (``max_retries`` more attempts, in order) and does not stop the
other sinks. ``close()`` (also run at interpreter exit) flushes what is left.

:class:`~netrun.llm.telemetry.tracker.RequestTracker` times each request. Framework-neutral:
no Django import; the database sink is the Django glue.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from netrun.core.context import current_correlation_id, current_tenant_id
from netrun.llm.attribution import current_attribution
from netrun.llm.telemetry._export import Pricer, SinkState, azure_monitor_sink
from netrun.llm.telemetry.aggregation import resolve_window
from netrun.llm.telemetry.records import (
    AggregatedMetrics,
    Granularity,
    LLMRequestMetrics,
    MetricsQuery,
    ScopeKind,
)
from netrun.llm.telemetry.sinks.base import AggregationSource, TelemetrySink
from netrun.llm.telemetry.sinks.memory import InMemorySink
from netrun.llm.telemetry.tracker import RequestTracker, _current_trace, _error_type
from netrun.llm.types import AttemptInfo, LLMResponse
from netrun.logging import get_logger

__all__ = [
    "FLUSH_THREAD_NAME",
    "PricingFunction",
    "RequestTracker",
    "TelemetryCollector",
    "TelemetryStats",
    "default_collector",
    "set_default_collector",
    "track_request",
]

logger = get_logger(__name__)

#: The name of every collector's flush thread (sinks holding per-thread resources check it).
FLUSH_THREAD_NAME = "netrun-llm-telemetry-flush"

#: ``(provider, model, record, day) -> USD or None``; ``None`` means "no known price".
PricingFunction = Callable[[str, str, LLMRequestMetrics, dt.date], "Decimal | None"]


@dataclass(frozen=True)
class TelemetryStats:
    """Counters of a collector since it was built."""

    recorded: int
    buffered: int
    dropped: int
    flushed: int
    unpriced: int
    sink_failures: dict[str, int]
    sink_dropped: dict[str, int]
    sink_pending: dict[str, int]


_live: weakref.WeakSet[TelemetryCollector] = weakref.WeakSet()


def _close_all_at_exit() -> None:
    for collector in list(_live):
        collector.close()


def _reset_after_fork() -> None:
    for collector in list(_live):
        collector._after_fork()


atexit.register(_close_all_at_exit)
if hasattr(os, "register_at_fork"):  # pragma: no branch - absent on Windows only
    os.register_at_fork(after_in_child=_reset_after_fork)


class TelemetryCollector:
    """Records LLM requests and exports them to sinks from a background thread.

    ``tenant_id`` pins every record (and the default of :meth:`get_aggregated_metrics`) to
    one tenant; without it records take the tenant of the current context
    (:func:`netrun.core.context.current_tenant_id`). ``sinks`` default to an in-memory window;
    when none of them can aggregate, one is added for :meth:`get_aggregated_metrics`.
    ``export_to_azure_monitor=True`` adds the Azure Monitor sink when a connection string is
    given (``azure_monitor_connection_string`` or ``APPLICATIONINSIGHTS_CONNECTION_STRING``)
    and the ``[azure]`` extra is installed; otherwise it logs why it is off and carries on.
    ``background=False`` leaves flushing to explicit :meth:`flush` calls (tests, scripts).
    """

    def __init__(
        self,
        *,
        tenant_id: str | None = None,
        sinks: Sequence[TelemetrySink] | None = None,
        flush_interval_seconds: float = 60.0,
        flush_batch_size: int = 500,
        max_buffer_size: int = 10_000,
        max_retries: int = 3,
        export_to_azure_monitor: bool = False,
        azure_monitor_connection_string: str | None = None,
        aggregation_source: AggregationSource | None = None,
        pricing: PricingFunction | None = None,
        background: bool = True,
    ) -> None:
        if flush_interval_seconds <= 0:
            raise ValueError("flush_interval_seconds must be positive")
        if flush_batch_size < 1 or max_buffer_size < 1:
            raise ValueError("flush_batch_size and max_buffer_size must be at least 1")
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self.tenant_id = tenant_id
        self.flush_interval_seconds = float(flush_interval_seconds)
        self.flush_batch_size = flush_batch_size
        self.max_buffer_size = max_buffer_size
        self.max_retries = max_retries
        self._pricer = Pricer(pricing)
        self._background = background

        chosen: list[TelemetrySink] = list(sinks) if sinks is not None else [InMemorySink()]
        self.azure_monitor_enabled = False
        if export_to_azure_monitor:
            azure = azure_monitor_sink(azure_monitor_connection_string)
            if azure is not None:
                chosen.append(azure)
                self.azure_monitor_enabled = True
        if aggregation_source is None:
            aggregation_source = next(
                (sink for sink in chosen if isinstance(sink, AggregationSource)), None
            )
        if aggregation_source is None:
            window = InMemorySink()
            chosen.append(window)
            aggregation_source = window
        self.aggregation_source: AggregationSource = aggregation_source
        self._sinks = [SinkState(sink) for sink in chosen]

        self._buffer: deque[LLMRequestMetrics] = deque(maxlen=max_buffer_size)
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._worker: threading.Thread | None = None
        self._closed = False
        self._recorded = 0
        self._dropped = 0
        self._flushed = 0
        _live.add(self)

    @property
    def sinks(self) -> list[TelemetrySink]:
        return [state.sink for state in self._sinks]

    def __repr__(self) -> str:
        names = ", ".join(state.name for state in self._sinks)
        return f"<TelemetryCollector tenant_id={self.tenant_id!r} sinks=[{names}]>"

    # -- recording (request path) ------------------------------------------------------------

    def track_request(
        self,
        *,
        provider: str,
        model: str,
        operation: str = "chat",
        tenant_id: str | None = None,
        user_id: str | None = None,
        api_key: str | None = None,
        tags: Iterable[str] = (),
    ) -> RequestTracker:
        """A context manager (``with`` or ``async with``) that records one request.

        The user, API key and feature tags come from the context
        (:func:`netrun.llm.attribution.current_attribution`); ``user_id`` and ``api_key``
        replace them, ``tags`` add to them.
        """
        trace_id, span_id, flags = _current_trace()
        scope = current_attribution(user_id=user_id or None, api_key=api_key, tags=tags)
        return RequestTracker(
            self,
            LLMRequestMetrics(
                provider=provider,
                model=model,
                operation=operation,
                tenant_id=tenant_id or self.tenant_id or current_tenant_id(),
                user_id=scope.user_id,
                api_key=scope.api_key,
                tags=scope.tags,
                correlation_id=current_correlation_id(),
                trace_id=trace_id,
                parent_span_id=span_id,
                trace_flags=flags,
            ),
        )

    def record(self, outcome: LLMResponse | BaseException, attempt: AttemptInfo) -> None:
        """The :class:`~netrun.llm.protocols.LLMTelemetry` hook :class:`LLMClient` calls."""
        trace_id, span_id, flags = _current_trace()
        scope = current_attribution()
        metrics = LLMRequestMetrics(
            provider=attempt.provider,
            model=attempt.model,
            operation=attempt.operation,
            started_at=time.time() - attempt.duration_ms / 1000.0,
            tenant_id=self.tenant_id or current_tenant_id(),
            user_id=scope.user_id,
            api_key=scope.api_key,
            tags=scope.tags,
            correlation_id=current_correlation_id(),
            trace_id=trace_id,
            parent_span_id=span_id,
            trace_flags=flags,
            latency_ms=attempt.duration_ms,
            streamed=attempt.streamed,
            attempt=attempt.attempt,
            fallback_reason=attempt.fallback_reason,
        )
        if isinstance(outcome, BaseException):
            metrics.success = False
            metrics.error_type = _error_type(outcome)
        else:
            usage = outcome.usage
            metrics.input_tokens = usage.input_tokens
            metrics.cache_read_tokens = usage.cache_read_tokens
            metrics.cache_write_tokens = usage.cache_write_tokens
            metrics.output_tokens = usage.output_tokens
            metrics.reasoning_tokens = usage.reasoning_tokens
            metrics.response_model = outcome.model
            if not outcome.complete:
                # A cut or abandoned stream: its tokens are billed, but it is no success.
                metrics.success = False
                metrics.error_type = outcome.finish_reason or "incomplete"
        self.submit(metrics)

    def submit(self, metrics: LLMRequestMetrics) -> None:
        """Buffer a finished record; never blocks on I/O, drops the oldest when full."""
        with self._lock:
            if len(self._buffer) == self.max_buffer_size:
                self._dropped += 1  # the deque's maxlen evicts the oldest on append
            self._buffer.append(metrics)
            self._recorded += 1
            waiting = len(self._buffer)
        if self._worker is None and self._background and not self._closed:
            self._start_worker()
        if waiting >= self.flush_batch_size:
            self._wake.set()

    # -- exporting (flush thread) ------------------------------------------------------------

    def _start_worker(self) -> None:
        with self._lock:
            if self._worker is not None or self._closed:
                return
            worker = threading.Thread(target=self._run, name=FLUSH_THREAD_NAME, daemon=True)
            self._worker = worker
        worker.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.flush_interval_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception as error:  # pragma: no cover - flush handles sink errors itself
                # The thread must outlive any bug below it, or telemetry silently stops.
                logger.error("llm_telemetry_flush_failed", error_type=type(error).__name__)

    def flush(self) -> int:
        """Price and export everything buffered now; returns the number of records taken."""
        with self._flush_lock:
            with self._lock:
                batch = list(self._buffer)
                self._buffer.clear()
            for metrics in batch:
                self._pricer.price(metrics)
            for state in self._sinks:
                state.deliver(
                    batch, max_buffer_size=self.max_buffer_size, max_retries=self.max_retries
                )
            self._flushed += len(batch)
            return len(batch)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the flush thread, flush what is left, close the sinks. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        self._wake.set()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)
        self.flush()
        for state in self._sinks:
            state.close()
        _live.discard(self)

    def __enter__(self) -> TelemetryCollector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _after_fork(self) -> None:
        # The child has no flush thread and must not export the parent's records twice.
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._worker = None
        self._buffer.clear()

    def stats(self) -> TelemetryStats:
        with self._lock:
            buffered = len(self._buffer)
        return TelemetryStats(
            recorded=self._recorded,
            buffered=buffered,
            dropped=self._dropped,
            flushed=self._flushed,
            unpriced=self._pricer.unpriced,
            sink_failures={state.name: state.failures for state in self._sinks},
            sink_dropped={state.name: state.dropped for state in self._sinks},
            sink_pending={state.name: state.pending_records() for state in self._sinks},
        )

    # -- reporting ---------------------------------------------------------------------------

    def get_aggregated_metrics(
        self,
        hours: float | None = None,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        tenant_id: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        granularity: Granularity = "hour",
        flush: bool = True,
        user_id: str | None = None,
        api_key: str | None = None,
        tag: str | None = None,
        group_by: ScopeKind | None = None,
    ) -> AggregatedMetrics:
        """Totals, success rate, tokens, cost, latency percentiles, breakdowns, time series.

        The window is the last ``hours`` (default 24) or ``since``..``until``. ``tenant_id``
        defaults to the collector's tenant (all tenants when it has none). ``user_id``,
        ``api_key`` and ``tag`` keep one user's, key's or feature tag's requests;
        ``group_by="user"``, ``"key"`` or ``"tag"`` fills ``by_scope`` with spend, tokens,
        latency percentiles and refusals per group. The buffer is flushed first so the
        answer includes the requests just tracked.
        """
        since, until = resolve_window(hours, since, until)
        if flush:
            self.flush()
        query = MetricsQuery(
            since=since,
            until=until,
            tenant_id=tenant_id or self.tenant_id,
            provider=provider,
            model=model,
            granularity=granularity,
            user_id=user_id,
            api_key=api_key,
            tag=tag,
            group_by=group_by,
        )
        return self.aggregation_source.aggregate(query)


_default: TelemetryCollector | None = None
_default_lock = threading.Lock()


def default_collector() -> TelemetryCollector:
    """The process-wide collector (in-memory window only until :func:`set_default_collector`)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = TelemetryCollector()
    return _default


def set_default_collector(collector: TelemetryCollector | None) -> TelemetryCollector | None:
    """Install ``collector`` as the process-wide one; returns the previous one."""
    global _default
    with _default_lock:
        previous, _default = _default, collector
    return previous


def track_request(
    *,
    provider: str,
    model: str,
    operation: str = "chat",
    tenant_id: str | None = None,
    user_id: str | None = None,
    api_key: str | None = None,
    tags: Iterable[str] = (),
) -> RequestTracker:
    """:meth:`TelemetryCollector.track_request` on the :func:`default_collector`."""
    return default_collector().track_request(
        provider=provider,
        model=model,
        operation=operation,
        tenant_id=tenant_id,
        user_id=user_id,
        api_key=api_key,
        tags=tags,
    )
