"""Netrun LLM telemetry: cost and latency of every LLM request, exported where you look.

::

    from netrun.llm.telemetry import TelemetryCollector

    collector = TelemetryCollector(tenant_id="acme-corp", flush_interval_seconds=60)
    with collector.track_request(provider="openai", model="gpt-4o") as tracker:
        response = call_the_model()
        tracker.set_usage(response.usage)
    metrics = collector.get_aggregated_metrics(hours=24)
    metrics.total_cost_usd, metrics.latency_p95_ms, metrics.success_rate

Pass the collector as ``LLMClient(telemetry=collector)`` and every attempt of the client is
recorded through :meth:`TelemetryCollector.record`. Sinks: :class:`InMemorySink` and
:class:`StructlogSink` here; ``netrun.llm.telemetry.sinks.database`` (Django),
``.prometheus``, ``.opentelemetry`` and ``.azure_monitor`` import their libraries when used.

The Django glue is imported by its users only: ``.views`` (the Prometheus scrape view) and
``.dashboard`` (the admin's spend dashboard).

Framework-neutral: importing this package imports no Django.
"""

from __future__ import annotations

from netrun.llm.telemetry.aggregation import percentile
from netrun.llm.telemetry.collector import (
    PricingFunction,
    TelemetryCollector,
    TelemetryStats,
    default_collector,
    set_default_collector,
    track_request,
)
from netrun.llm.telemetry.records import (
    AggregatedMetrics,
    Breakdown,
    Granularity,
    LLMRequestMetrics,
    MetricsQuery,
    TimeBucket,
)
from netrun.llm.telemetry.sinks import (
    AggregationSource,
    InMemorySink,
    StructlogSink,
    TelemetrySink,
)
from netrun.llm.telemetry.tracker import RequestTracker

__all__ = [
    "AggregatedMetrics",
    "AggregationSource",
    "Breakdown",
    "Granularity",
    "InMemorySink",
    "LLMRequestMetrics",
    "MetricsQuery",
    "PricingFunction",
    "RequestTracker",
    "StructlogSink",
    "TelemetryCollector",
    "TelemetrySink",
    "TelemetryStats",
    "TimeBucket",
    "default_collector",
    "percentile",
    "set_default_collector",
    "track_request",
]
