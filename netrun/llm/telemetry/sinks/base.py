"""What a sink is: anything with ``write(records)``; some can also aggregate.

A sink receives batches from the collector's flush thread, never from the request path.
``write`` may raise: the collector counts the failure, keeps the batch for a later retry and
still hands the batch to every other sink. ``close`` (optional) is called once on shutdown.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from netrun.llm.telemetry.records import AggregatedMetrics, LLMRequestMetrics, MetricsQuery

__all__ = ["AggregationSource", "TelemetrySink", "sink_name"]


@runtime_checkable
class TelemetrySink(Protocol):
    """Receives priced records in batches, in the order they were recorded."""

    def write(self, records: Sequence[LLMRequestMetrics]) -> None: ...


@runtime_checkable
class AggregationSource(Protocol):
    """Answers :meth:`TelemetryCollector.get_aggregated_metrics` (in memory or in SQL)."""

    def aggregate(self, query: MetricsQuery) -> AggregatedMetrics: ...


def sink_name(sink: object) -> str:
    """The name a sink is reported under in stats and logs."""
    name = getattr(sink, "name", None)
    return name if isinstance(name, str) and name else type(sink).__name__
