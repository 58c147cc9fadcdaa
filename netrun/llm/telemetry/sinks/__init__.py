"""Where telemetry records go: memory, the database, Prometheus, OpenTelemetry, Azure Monitor, logs.

Only the framework-neutral sinks are imported here; the others import their library when
built: ``netrun.llm.telemetry.sinks.database`` (Django), ``.prometheus`` (prometheus-client,
the ``[prometheus]`` extra), ``.opentelemetry`` (the ``[otel]`` extra) and ``.azure_monitor``
(the ``[azure]`` extra).
"""

from __future__ import annotations

from netrun.llm.telemetry.sinks.base import AggregationSource, TelemetrySink, sink_name
from netrun.llm.telemetry.sinks.memory import InMemorySink
from netrun.llm.telemetry.sinks.structlog import StructlogSink

__all__ = ["AggregationSource", "InMemorySink", "StructlogSink", "TelemetrySink", "sink_name"]
