"""The OpenTelemetry export uses the GenAI semantic conventions' exact names, values and units."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from netrun.llm import LLMClient
from netrun.llm.adapters import AnthropicAdapter
from netrun.llm.telemetry import TelemetryCollector
from netrun.llm.telemetry.sinks.opentelemetry import OpenTelemetrySink
from netrun.llm.testing import StubLLMServer, StubReply, StubUsage

KEY = "sk-test-0123456789abcdefghij"


@pytest.fixture
def otel() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader, TelemetryCollector]]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    sink = OpenTelemetrySink(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    collector = TelemetryCollector(sinks=[sink], background=False)
    yield spans, reader, collector
    collector.close()


def metrics_of(reader: InMemoryMetricReader) -> dict[str, Any]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


def test_a_client_call_is_one_span_and_two_metrics_with_the_genai_names(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader, TelemetryCollector],
) -> None:
    spans, reader, collector = otel
    usage = StubUsage(
        input_tokens=100, cache_read_tokens=900, cache_write_tokens=50, output_tokens=40
    )
    with StubLLMServer(lifetime=60) as stub:
        stub.script(StubReply(usage=usage, model="claude-haiku-4-5-20251001"))
        adapter = AnthropicAdapter(
            api_key=KEY, base_url=stub.anthropic_base_url, model="claude-haiku-4-5"
        )
        LLMClient([adapter], telemetry=collector).chat("hi")
    collector.flush()

    [span] = spans.get_finished_spans()
    assert span.name == "chat claude-haiku-4-5"
    assert span.kind is SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    cost = attributes.pop("netrun.llm.cost_usd")
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-haiku-4-5",
        "gen_ai.response.model": "claude-haiku-4-5-20251001",
        # Every prompt token, cached ones included (the conventions' definition).
        "gen_ai.usage.input_tokens": 1_050,
        "gen_ai.usage.cache_read.input_tokens": 900,
        "gen_ai.usage.cache_creation.input_tokens": 50,
        "gen_ai.usage.output_tokens": 40,
    }
    # $1 input, $0.10 cache read, $1.25 cache write, $5 output per 1M tokens.
    expected = (100 * 1 + 900 * Decimal("0.1") + 50 * Decimal("1.25") + 40 * 5) / 1_000_000
    assert cost == pytest.approx(float(expected))

    metrics = metrics_of(reader)
    tokens = metrics["gen_ai.client.token.usage"]
    duration = metrics["gen_ai.client.operation.duration"]
    assert (tokens.unit, duration.unit) == ("{token}", "s")
    by_type = {point.attributes["gen_ai.token.type"]: point for point in tokens.data.data_points}
    assert set(by_type) == {"input", "output"}
    assert (by_type["input"].sum, by_type["output"].sum) == (1_050, 40)
    assert dict(by_type["output"].attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-haiku-4-5",
        "gen_ai.response.model": "claude-haiku-4-5-20251001",
        "gen_ai.token.type": "output",
    }
    [timing] = duration.data.data_points
    assert timing.count == 1
    assert "error.type" not in timing.attributes
    assert metrics["netrun.llm.cost_usd"].data.data_points[0].value == pytest.approx(
        float(expected)
    )


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("openai", "openai"),
        ("azure_openai", "azure.ai.openai"),
        ("anthropic", "anthropic"),
        ("gemini", "gcp.gemini"),
        ("ollama", "ollama"),  # not a well-known value: kept as netrun names it
    ],
)
def test_provider_names_are_the_conventions_well_known_values(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader, TelemetryCollector],
    provider: str,
    expected: str,
) -> None:
    spans, reader, collector = otel
    with pytest.raises(TimeoutError), collector.track_request(provider=provider, model="m"):
        raise TimeoutError
    collector.flush()
    [span] = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["gen_ai.provider.name"] == expected
    assert span.attributes["error.type"] == "TimeoutError"
    [timing] = metrics_of(reader)["gen_ai.client.operation.duration"].data.data_points
    assert timing.attributes["gen_ai.provider.name"] == expected
    assert timing.attributes["error.type"] == "TimeoutError"
