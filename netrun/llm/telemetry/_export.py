"""What a collector's flush does with a batch: price each record, deliver it to each sink.

Internals of :class:`~netrun.llm.telemetry.collector.TelemetryCollector`; they log under the
collector's logger name, so a logging configuration written for it still applies.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from typing import TYPE_CHECKING, Any

from netrun.llm.telemetry.records import LLMRequestMetrics
from netrun.llm.telemetry.sinks.base import TelemetrySink, sink_name
from netrun.logging import get_logger

if TYPE_CHECKING:
    from netrun.llm.telemetry.collector import PricingFunction

__all__ = ["Pricer", "SinkState", "azure_monitor_sink"]

logger = get_logger("netrun.llm.telemetry.collector")


def _default_pricing(provider: str, model: str, record: LLMRequestMetrics, day: dt.date) -> Any:
    # The price table is the policy half's module; a build without it prices nothing, which
    # reports every request as unpriced rather than free.
    try:
        from netrun.llm.pricing import cost_for
    except ImportError:  # pragma: no cover - the module ships with netrun.llm
        return None
    return cost_for(provider, model, record, at=day)


class Pricer:
    """Prices records once each, and counts (and logs once per model) those it cannot."""

    __slots__ = ("pricing", "unpriced", "unpriced_seen")

    def __init__(self, pricing: PricingFunction | None) -> None:
        self.pricing: PricingFunction = pricing or _default_pricing
        self.unpriced = 0
        self.unpriced_seen: set[tuple[str, str]] = set()

    def price(self, metrics: LLMRequestMetrics) -> None:
        if metrics.priced is None:
            try:
                cost = self.pricing(
                    metrics.provider, metrics.model, metrics, metrics.started.date()
                )
            except Exception as error:
                logger.warning(
                    "llm_telemetry_pricing_failed",
                    provider=metrics.provider,
                    model=metrics.model,
                    error_type=type(error).__name__,
                )
                cost = None
            metrics.cost_usd = cost
            metrics.priced = cost is not None
        if not metrics.priced:
            self.unpriced += 1
            key = (metrics.provider, metrics.model)
            if key not in self.unpriced_seen:
                # Once per model and process: enough to notice, not a flood.
                self.unpriced_seen.add(key)
                logger.warning(
                    "llm_telemetry_unpriced_model",
                    provider=metrics.provider,
                    model=metrics.model,
                    hint="add a ModelPrice row for it",
                )


class SinkState:
    """A sink with its retry queue: batches it failed to take, oldest first."""

    __slots__ = ("delivered", "dropped", "failures", "name", "pending", "sink")

    def __init__(self, sink: TelemetrySink) -> None:
        self.sink = sink
        self.name = sink_name(sink)
        # [batch, failed attempts]
        self.pending: deque[list[Any]] = deque()
        self.failures = 0
        self.dropped = 0
        self.delivered = 0

    def pending_records(self) -> int:
        return sum(len(item[0]) for item in self.pending)

    def deliver(
        self, batch: list[LLMRequestMetrics], *, max_buffer_size: int, max_retries: int
    ) -> None:
        """Write ``batch`` after the batches still pending, in order; a failed write keeps
        its batch for the next flushes, up to ``max_retries`` more attempts."""
        if batch:
            self.pending.append([batch, 0])
        # A sink that stays down must not hold more than a full buffer's worth of records.
        while len(self.pending) > 1 and self.pending_records() > max_buffer_size:
            self.dropped += len(self.pending.popleft()[0])
        while self.pending:
            item = self.pending[0]
            try:
                self.sink.write(item[0])
            except Exception as error:
                self.failures += 1
                item[1] += 1
                gave_up = item[1] > max_retries
                logger.warning(
                    "llm_telemetry_sink_failed",
                    sink=self.name,
                    error_type=type(error).__name__,
                    records=len(item[0]),
                    attempts=item[1],
                    result="dropped" if gave_up else "will_retry",
                )
                if gave_up:
                    self.dropped += len(self.pending.popleft()[0])
                    continue
                # Keep the order: later batches wait behind the one that failed.
                return
            self.pending.popleft()
            self.delivered += len(item[0])

    def close(self) -> None:
        """Close the sink when it can be closed; a failure is logged, not raised."""
        closer = getattr(self.sink, "close", None)
        if callable(closer):
            try:
                closer()
            except Exception as error:
                logger.warning(
                    "llm_telemetry_sink_close_failed",
                    sink=self.name,
                    error_type=type(error).__name__,
                )


def azure_monitor_sink(connection_string: str | None) -> TelemetrySink | None:
    """The Azure Monitor sink, or ``None`` (logged with why) without a connection string
    (``APPLICATIONINSIGHTS_CONNECTION_STRING`` too) or without the ``[azure]`` extra."""
    connection_string = connection_string or os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING")
    if not connection_string:
        logger.warning(
            "llm_telemetry_azure_monitor_off",
            reason="no_connection_string",
            hint="set APPLICATIONINSIGHTS_CONNECTION_STRING",
        )
        return None
    try:
        from netrun.llm.telemetry.sinks.azure_monitor import AzureMonitorSink

        return AzureMonitorSink(connection_string=connection_string)
    except ImportError as error:
        logger.warning(
            "llm_telemetry_azure_monitor_off",
            reason="missing_dependency",
            module=getattr(error, "name", None),
            hint="pip install 'netrun[azure,otel]'",
        )
        return None
