"""One W3C trace from the HTTP request, through a real Celery worker, into the LLM call's span.

The request carries a ``traceparent``; the view publishes a task over the real Redis broker;
the worker's task calls the real ``openai`` SDK through ``LLMClient`` against the stub server
on loopback; the telemetry collector exports the call as an OpenTelemetry span, which must
belong to the request's trace and carry the GenAI attributes of the call.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.test import Client
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from netrun.core.context import current_trace_context
from netrun.llm import LLMClient, OpenAIAdapter
from netrun.llm.telemetry import TelemetryCollector
from netrun.llm.telemetry.sinks.opentelemetry import OpenTelemetrySink
from netrun.llm.testing import StubLLMServer
from netrun.logging.celery import connect_signals
from tests.e2e import llm_urls

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


@pytest.fixture
def spans() -> Iterator[tuple[TelemetryCollector, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    sink = OpenTelemetrySink(tracer_provider=tracer_provider, meter_provider=meter_provider)
    collector = TelemetryCollector(sinks=[sink], background=False)
    try:
        yield collector, exporter
    finally:
        collector.close()


@pytest.fixture
def celery_app(
    redis_url: str,
    spans: tuple[TelemetryCollector, InMemorySpanExporter],
) -> Iterator[tuple[Celery, StubLLMServer]]:
    collector, _ = spans
    connect_signals()
    app = Celery("netrun_e2e_llm", broker=redis_url, backend=redis_url, set_as_current=False)
    app.conf.update(
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=False,
        result_expires=60,
    )
    with StubLLMServer() as stub:
        stub.reply("Printer on floor 2 is jammed; a technician is on the way.")
        client = LLMClient(
            [OpenAIAdapter(api_key="sk-test", base_url=stub.openai_base_url, model="gpt-4o")],
            telemetry=collector,
        )

        @app.task(name="tests.e2e.summarise_ticket")
        def summarise_ticket(ticket_id: int) -> dict[str, str | None]:
            response = client.chat(
                [{"role": "user", "content": f"Summarise ticket {ticket_id}"}], max_tokens=100
            )
            trace = current_trace_context()
            return {"text": response.text, "trace_id": trace.trace_id if trace else None}

        llm_urls.CELERY["app"] = app
        try:
            yield app, stub
        finally:
            llm_urls.CELERY.clear()


@pytest.mark.urls("tests.e2e.llm_urls")
def test_the_request_trace_reaches_the_llm_span_on_the_worker(
    client: Client,
    celery_app: tuple[Celery, StubLLMServer],
    spans: tuple[TelemetryCollector, InMemorySpanExporter],
) -> None:
    app, stub = celery_app
    collector, exporter = spans
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        response = client.post(
            "/tickets/42/summarise/", HTTP_TRACEPARENT=TRACEPARENT, HTTP_ACCEPT="application/json"
        )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"].startswith("Printer on floor 2")
    # The task ran in the request's trace, on the worker.
    assert body["trace_id"] == TRACE_ID
    # The stub saw one chat completion from the real SDK.
    assert [request.path for request in stub.requests] == ["/v1/chat/completions"]

    collector.flush()
    [span] = exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None
    assert span.parent.is_remote
    assert span.kind is SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "gpt-4o"
    assert attributes["gen_ai.usage.output_tokens"] > 0
    assert "netrun.llm.cost_usd" in attributes
