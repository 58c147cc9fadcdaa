"""Prometheus, OpenTelemetry and Azure Monitor export, and the /metrics view."""

from __future__ import annotations

import pytest

pytest.importorskip("prometheus_client")
pytest.importorskip("opentelemetry.sdk")

from decimal import Decimal

from django.test import RequestFactory, override_settings
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry, generate_latest

from netrun.core.context import TraceContext, trace_context
from netrun.llm.telemetry import TelemetryCollector
from netrun.llm.telemetry.sinks.azure_monitor import AzureMonitorSink
from netrun.llm.telemetry.sinks.opentelemetry import OpenTelemetrySink
from netrun.llm.telemetry.sinks.prometheus import PrometheusSink
from netrun.llm.telemetry.views import make_metrics_view
from tests.llm.telemetry.conftest import make_record

TRACE = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")


def _records() -> list:  # type: ignore[type-arg]
    return [
        make_record(
            latency_ms=1200,
            input_tokens=100,
            cache_read_tokens=900,
            output_tokens=40,
            reasoning_tokens=10,
            cost="0.25",
            ttft_ms=300.0,
            fallback_reason="error",
        ),
        make_record(latency_ms=80, success=False, cost=None, model="mystery"),
    ]


# ----------------------------------------------------------------------------- Prometheus


def test_prometheus_counts_requests_tokens_cost_and_latency() -> None:
    registry = CollectorRegistry()
    PrometheusSink(registry).write(_records())
    text = generate_latest(registry).decode()
    assert (
        'netrun_llm_requests_total{model="gpt-4o",operation="chat",provider="openai",status="success"} 1.0'
        in text
    )
    assert (
        'netrun_llm_errors_total{error_type="LLMTimeoutError",model="mystery",provider="openai"} 1.0'
        in text
    )
    assert (
        'netrun_llm_tokens_total{model="gpt-4o",provider="openai",type="cache_read"} 900.0' in text
    )
    assert 'netrun_llm_tokens_total{model="gpt-4o",provider="openai",type="reasoning"} 10.0' in text
    assert 'netrun_llm_cost_usd_total{model="gpt-4o",provider="openai"} 0.25' in text
    assert 'netrun_llm_unpriced_requests_total{model="mystery",provider="openai"} 1.0' in text
    assert 'netrun_llm_fallbacks_total{provider="openai",reason="error"} 1.0' in text
    assert (
        'netrun_llm_request_duration_seconds_bucket{le="2.5",model="gpt-4o",operation="chat",provider="openai"} 1.0'
        in text
    )
    assert (
        'netrun_llm_request_duration_seconds_bucket{le="1.0",model="gpt-4o",operation="chat",provider="openai"} 0.0'
        in text
    )
    assert (
        'netrun_llm_time_to_first_token_seconds_count{model="gpt-4o",provider="openai"} 1.0' in text
    )
    assert "tenant=" not in text


def test_prometheus_tenant_label_is_opt_in_and_one_setting_per_registry() -> None:
    registry = CollectorRegistry()
    sink = PrometheusSink(registry, tenant_label=True)
    sink.write(_records()[:1])
    sink.set_budget_remaining("acme", "day", Decimal("4.5"))
    # A second sink on the same registry shares the metrics instead of failing to register.
    PrometheusSink(registry, tenant_label=True).write(_records()[:1])
    text = generate_latest(registry).decode()
    assert 'provider="openai",status="success",tenant="acme"} 2.0' in text
    assert 'netrun_llm_budget_remaining_usd{period="day",tenant="acme"} 4.5' in text
    with pytest.raises(ValueError, match="tenant_label"):
        PrometheusSink(registry, tenant_label=False)


def test_the_metrics_view_serves_the_registry_and_honours_the_token() -> None:
    registry = CollectorRegistry()
    collector = TelemetryCollector(sinks=[PrometheusSink(registry)], background=False)
    with collector.track_request(provider="anthropic", model="claude-haiku-4-5"):
        pass
    collector.flush()
    view = make_metrics_view(registry)
    factory = RequestFactory()
    # Without a token the view is open in development only (see test_metrics_view.py).
    with override_settings(DEBUG=True):
        response = view(factory.get("/metrics"))
        openmetrics = view(factory.get("/metrics", HTTP_ACCEPT="application/openmetrics-text"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert b'netrun_llm_requests_total{model="claude-haiku-4-5"' in response.content
    assert openmetrics["Content-Type"].startswith("application/openmetrics-text")
    assert openmetrics.content.rstrip().endswith(b"# EOF")
    assert view(factory.post("/metrics")).status_code == 405
    with override_settings(NETRUN_LLM_METRICS_TOKEN="s3cret"):
        denied = view(factory.get("/metrics"))
        assert denied.status_code == 401
        assert "Bearer" in denied["WWW-Authenticate"]
        assert view(factory.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")).status_code == 401
        allowed = view(factory.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret"))
        assert allowed.status_code == 200
    collector.close()


# ----------------------------------------------------------------------------- OpenTelemetry


def _providers() -> tuple[
    TracerProvider, InMemorySpanExporter, MeterProvider, InMemoryMetricReader
]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    return tracer_provider, spans, MeterProvider(metric_readers=[reader]), reader


def _points(reader: InMemoryMetricReader) -> dict[str, list]:  # type: ignore[type-arg]
    data = reader.get_metrics_data()
    assert data is not None
    found: dict[str, list] = {}  # type: ignore[type-arg]
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            assert scope.scope.name == "netrun.llm"
            for metric in scope.metrics:
                found[metric.name] = list(metric.data.data_points)
    return found


def test_opentelemetry_metrics_follow_the_genai_conventions() -> None:
    tracer_provider, _, meter_provider, reader = _providers()
    sink = OpenTelemetrySink(tracer_provider=tracer_provider, meter_provider=meter_provider)
    sink.write(_records())
    points = _points(reader)
    tokens = {p.attributes["gen_ai.token.type"]: p for p in points["gen_ai.client.token.usage"] if p.attributes["gen_ai.request.model"] == "gpt-4o"}  # fmt: skip
    assert tokens["input"].sum == 1000  # every prompt token, cached included
    assert tokens["output"].sum == 40
    assert tokens["input"].attributes["gen_ai.provider.name"] == "openai"
    durations = {p.attributes["gen_ai.request.model"]: p for p in points["gen_ai.client.operation.duration"]}  # fmt: skip
    assert durations["gpt-4o"].sum == pytest.approx(1.2)
    assert durations["mystery"].attributes["error.type"] == "LLMTimeoutError"
    assert "error.type" not in durations["gpt-4o"].attributes
    [ttft] = points["gen_ai.client.operation.time_to_first_chunk"]
    assert ttft.sum == pytest.approx(0.3)
    [cost] = points["netrun.llm.cost_usd"]
    assert cost.value == pytest.approx(0.25)


def test_opentelemetry_spans_continue_the_requests_w3c_trace() -> None:
    tracer_provider, exporter, meter_provider, _ = _providers()
    sink = OpenTelemetrySink(tracer_provider=tracer_provider, meter_provider=meter_provider)
    collector = TelemetryCollector(sinks=[sink], background=False)
    with (
        trace_context(TRACE),
        collector.track_request(provider="openai", model="gpt-4o") as tracker,
    ):
        tracker.set_tokens(input_tokens=10, output_tokens=5, cache_write_tokens=3)
    with collector.track_request(provider="openai", model="gpt-4o"):
        pass
    collector.flush()
    child, root = exporter.get_finished_spans()
    assert child.name == "chat gpt-4o"
    assert child.kind is SpanKind.CLIENT
    assert format(child.context.trace_id, "032x") == TRACE.trace_id
    assert child.parent is not None
    assert format(child.parent.span_id, "016x") == TRACE.span_id
    assert child.parent.is_remote
    assert child.attributes["gen_ai.usage.input_tokens"] == 13
    assert child.attributes["gen_ai.usage.cache_creation.input_tokens"] == 3
    assert child.attributes["gen_ai.usage.output_tokens"] == 5
    assert child.attributes["netrun.llm.cost_usd"] > 0
    assert child.end_time - child.start_time >= 0
    assert root.parent is None
    assert format(root.context.trace_id, "032x") != TRACE.trace_id
    collector.close()


def test_a_failed_request_is_an_error_span_and_otel_context_is_used_without_netruns() -> None:
    tracer_provider, exporter, meter_provider, _ = _providers()
    sink = OpenTelemetrySink(
        tracer_provider=tracer_provider, meter_provider=meter_provider, metrics=False
    )
    collector = TelemetryCollector(sinks=[sink], background=False)
    tracer = tracer_provider.get_tracer("test")
    with (
        tracer.start_as_current_span("http request") as outer,
        pytest.raises(TimeoutError),
        collector.track_request(provider="openai", model="o3"),
    ):
        raise TimeoutError
    collector.flush()
    llm = next(span for span in exporter.get_finished_spans() if span.name == "chat o3")
    assert llm.parent is not None
    assert llm.parent.span_id == outer.get_span_context().span_id
    assert llm.status.status_code is StatusCode.ERROR
    assert llm.attributes["error.type"] == "TimeoutError"
    collector.close()


def test_a_bad_trace_id_gives_a_root_span() -> None:
    from netrun.llm.telemetry.sinks.opentelemetry import parent_context

    assert parent_context(make_record(trace_id="zz", parent_span_id="00f067aa0ba902b7")) == {}
    assert parent_context(make_record(trace_id="0" * 32, parent_span_id="0" * 16)) == {}


# ----------------------------------------------------------------------------- Azure Monitor


def test_azure_monitor_sink_exports_through_its_own_providers() -> None:
    exporter = InMemorySpanExporter()
    reader = InMemoryMetricReader()
    sink = AzureMonitorSink(span_exporter=exporter, metric_reader=reader)
    collector = TelemetryCollector(sinks=[sink], background=False)
    with collector.track_request(provider="azure_openai", model="gpt-4o-mini") as tracker:
        tracker.set_tokens(input_tokens=10, output_tokens=2)
    collector.flush()
    assert sink.force_flush()
    [span] = exporter.get_finished_spans()
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert span.resource.attributes["service.name"] == "netrun-llm"
    assert "gen_ai.client.token.usage" in _points(reader)
    collector.close()  # shuts the private providers down
    assert exporter._stopped  # the processor shut the exporter down with it


def test_azure_monitor_needs_a_connection_string_without_injected_exporters() -> None:
    with pytest.raises(ValueError, match="connection string"):
        AzureMonitorSink()


def test_export_to_azure_monitor_builds_the_real_exporters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("azure.monitor.opentelemetry.exporter")
    # No statsbeat and no network: nothing is exported because nothing is recorded.
    monkeypatch.setenv("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
    monkeypatch.setenv(
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        "IngestionEndpoint=http://127.0.0.1:9/",
    )
    collector = TelemetryCollector(export_to_azure_monitor=True, background=False)
    assert collector.azure_monitor_enabled
    assert [type(s).__name__ for s in collector.sinks] == ["InMemorySink", "AzureMonitorSink"]
    collector.close()
