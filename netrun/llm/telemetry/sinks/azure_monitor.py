"""Azure Monitor / Application Insights export (the ``[azure]`` and ``[otel]`` extras).

The :class:`~netrun.llm.telemetry.sinks.opentelemetry.OpenTelemetrySink` over private
OpenTelemetry providers whose exporters are the azure-monitor-opentelemetry-exporter's:
the application's own OpenTelemetry setup is left alone, and the LLM spans and GenAI metrics
appear in Application Insights as dependencies and custom metrics. Exporters can be passed
in (an in-memory exporter in tests, or one configured with credentials).
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from netrun.llm.telemetry.sinks.opentelemetry import OpenTelemetrySink

__all__ = ["AzureMonitorSink"]


class AzureMonitorSink(OpenTelemetrySink):
    """Exports LLM spans and metrics to the Application Insights of ``connection_string``.

    ``span_exporter`` / ``metric_exporter`` replace the Azure exporters; ``metric_reader``
    replaces the periodic reader altogether. Metrics are exported every
    ``export_interval_millis``; :meth:`close` flushes both.
    """

    name = "azure_monitor"

    def __init__(
        self,
        *,
        connection_string: str | None = None,
        span_exporter: SpanExporter | None = None,
        metric_exporter: Any = None,
        metric_reader: MetricReader | None = None,
        service_name: str = "netrun-llm",
        export_interval_millis: float = 60_000,
    ) -> None:
        if span_exporter is None or (metric_exporter is None and metric_reader is None):
            if not connection_string:
                raise ValueError("an Application Insights connection string is required")
            # Imported only here: the exporter pulls in azure-core and friends.
            from azure.monitor.opentelemetry.exporter import (
                AzureMonitorMetricExporter,
                AzureMonitorTraceExporter,
            )

            if span_exporter is None:
                span_exporter = AzureMonitorTraceExporter(connection_string=connection_string)
            if metric_exporter is None and metric_reader is None:
                metric_exporter = AzureMonitorMetricExporter(connection_string=connection_string)
        if metric_reader is None:
            metric_reader = PeriodicExportingMetricReader(
                metric_exporter, export_interval_millis=export_interval_millis
            )
        resource = Resource.create({"service.name": service_name})
        self.tracer_provider = TracerProvider(resource=resource)
        self.tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
        self.meter_provider = MeterProvider(metric_readers=[metric_reader], resource=resource)
        super().__init__(tracer_provider=self.tracer_provider, meter_provider=self.meter_provider)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        spans = self.tracer_provider.force_flush(timeout_millis)
        metrics = self.meter_provider.force_flush(timeout_millis)
        return bool(spans and metrics)

    def close(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
