"""The collector: tracking in sync and async code, buffering, flushing, failing sinks."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from netrun.core.context import (
    TraceContext,
    correlation_context,
    tenant_context,
    trace_context,
    user_context,
)
from netrun.errors import NetrunException
from netrun.llm.protocols import LLMTelemetry
from netrun.llm.telemetry import (
    InMemorySink,
    LLMRequestMetrics,
    StructlogSink,
    TelemetryCollector,
    default_collector,
    percentile,
    set_default_collector,
    track_request,
)
from netrun.llm.telemetry import collector as collector_module
from netrun.llm.types import AttemptInfo, LLMResponse, Usage
from netrun.logging.testing import capture_logs
from tests.llm.telemetry.conftest import make_record


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_the_seeds_example_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    class _Completions:
        async def create(self, *args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(0.01)
            return SimpleNamespace(usage=SimpleNamespace(prompt_tokens=1000, completion_tokens=500))

    openai_client = SimpleNamespace(chat=SimpleNamespace(completions=_Completions()))

    async def main() -> None:
        # --- the seeds' "LLM Cost & Latency Telemetry" example, verbatim -------------------
        from netrun.llm.telemetry import (
            AggregatedMetrics,
            LLMRequestMetrics,
            TelemetryCollector,
        )

        # Initialize collector
        collector = TelemetryCollector(
            tenant_id="acme-corp",
            flush_interval_seconds=60,
            export_to_azure_monitor=True,
        )

        # Record request metrics (automatic with context manager)
        async with collector.track_request(
            provider="openai",
            model="gpt-4o",
            operation="chat_completion",
        ) as tracker:
            response = await openai_client.chat.completions.create(...)
            tracker.set_tokens(
                input_tokens=response.usage.prompt_tokens,
                output_tokens=response.usage.completion_tokens,
            )

        # Get aggregated metrics
        metrics = collector.get_aggregated_metrics(hours=24)
        print(f"Total cost: ${metrics.total_cost_usd:.2f}")
        print(f"P95 latency: {metrics.latency_p95_ms:.0f}ms")
        print(f"Success rate: {metrics.success_rate:.1%}")
        # --- end of the example -------------------------------------------------------------
        assert isinstance(metrics, AggregatedMetrics)
        assert LLMRequestMetrics.__name__ == "LLMRequestMetrics"
        # gpt-4o since 2024-10-02: $2.50 in, $10.00 out per 1M -> 0.0025 + 0.005.
        assert metrics.total_cost_usd == Decimal("0.0075")
        assert metrics.tenant_id == "acme-corp"
        assert metrics.latency_p95_ms >= 10
        # No connection string here: Azure Monitor stays off instead of failing.
        assert collector.azure_monitor_enabled is False
        collector.close()

    asyncio.run(main())
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Total cost: $0.01"
    assert lines[1].startswith("P95 latency: ")
    assert lines[1].endswith("ms")
    assert lines[2] == "Success rate: 100.0%"


def test_sync_tracking_records_context_tokens_and_latency(
    collector: TelemetryCollector, memory: InMemorySink
) -> None:
    trace = TraceContext("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
    with (
        tenant_context("acme"),
        user_context("u-7"),
        correlation_context("corr-1"),
        trace_context(trace),
        collector.track_request(provider="anthropic", model="claude-sonnet-4-5") as tracker,
    ):
        time.sleep(0.005)
        tracker.set_usage(
            Usage(input_tokens=100, cache_read_tokens=900, output_tokens=50, reasoning_tokens=20)
        )
        tracker.set_response_model("claude-sonnet-4-5-20250929")
    assert collector.flush() == 1
    [record] = memory.records
    assert record.success
    assert record.error_type is None
    assert record.latency_ms >= 5
    assert (record.tenant_id, record.user_id, record.correlation_id) == ("acme", "u-7", "corr-1")
    assert record.trace_id == trace.trace_id
    assert record.parent_span_id == trace.span_id
    assert (record.input_tokens, record.cache_read_tokens, record.output_tokens) == (100, 900, 50)
    assert record.reasoning_tokens == 20
    assert record.response_model == "claude-sonnet-4-5-20250929"
    # $3/M input, cache reads at 0.1x, $15/M output.
    assert record.cost_usd == Decimal("0.0003") + Decimal("0.00027") + Decimal("0.00075")
    assert record.priced is True


def test_async_tracking_records_the_failure_and_lets_the_exception_through(
    collector: TelemetryCollector, memory: InMemorySink
) -> None:
    class _Refused(NetrunException):
        status_code = 429
        error_code = "LLM_RATE_LIMITED"

    async def call() -> None:
        async with collector.track_request(provider="openai", model="gpt-4o-mini"):
            raise _Refused("slow down")

    with pytest.raises(_Refused):
        asyncio.run(call())

    async def cancelled() -> None:
        async with collector.track_request(provider="openai", model="gpt-4o-mini"):
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cancelled())
    collector.flush()
    assert [(r.success, r.error_type) for r in memory.records] == [
        (False, "LLM_RATE_LIMITED"),
        (False, "CancelledError"),
    ]


def test_first_token_sets_the_time_to_first_token_once(
    collector: TelemetryCollector, memory: InMemorySink
) -> None:
    with collector.track_request(provider="openai", model="gpt-4o", operation="stream") as tracker:
        time.sleep(0.003)
        tracker.first_token()
        first = tracker.metrics.ttft_ms
        time.sleep(0.003)
        tracker.first_token()
    collector.flush()
    [record] = memory.records
    assert first is not None
    assert first >= 3
    assert record.ttft_ms == first
    assert record.streamed
    assert record.latency_ms > record.ttft_ms


def test_an_unknown_model_is_unpriced_and_never_counted_as_free(
    collector: TelemetryCollector,
) -> None:
    with collector.track_request(provider="openai", model="gpt-99-imaginary") as tracker:
        tracker.set_tokens(input_tokens=1000, output_tokens=1000)
    with collector.track_request(provider="openai", model="gpt-4o") as tracker:
        tracker.set_tokens(input_tokens=1_000_000)
    with capture_logs() as logs:
        metrics = collector.get_aggregated_metrics(hours=1)
    assert metrics.unpriced_requests == 1
    assert metrics.total_cost_usd == Decimal("2.5")
    assert metrics.by_model["openai/gpt-99-imaginary"].cost_usd == 0
    assert metrics.by_model["openai/gpt-99-imaginary"].unpriced_requests == 1
    assert collector.stats().unpriced == 1
    assert [e["model"] for e in logs if e["event"] == "llm_telemetry_unpriced_model"] == [
        "gpt-99-imaginary"
    ]


def test_set_cost_overrides_the_price_table_and_a_failing_pricer_leaves_it_unpriced(
    memory: InMemorySink,
) -> None:
    def broken(*args: object) -> Decimal:
        raise RuntimeError("price service down")

    collector = TelemetryCollector(sinks=[memory], pricing=broken, background=False)
    with collector.track_request(provider="openai", model="gpt-4o") as tracker:
        tracker.set_cost(Decimal("0.42"))
    with collector.track_request(provider="openai", model="gpt-4o"):
        pass
    collector.close()
    assert [(r.cost_usd, r.priced) for r in memory.records] == [
        (Decimal("0.42"), True),
        (None, False),
    ]


def test_a_full_buffer_drops_the_oldest_and_counts_it(memory: InMemorySink) -> None:
    collector = TelemetryCollector(
        sinks=[memory], max_buffer_size=3, flush_batch_size=100, background=False
    )
    for index in range(5):
        with collector.track_request(provider="openai", model=f"m{index}"):
            pass
    stats = collector.stats()
    assert (stats.recorded, stats.buffered, stats.dropped) == (5, 3, 2)
    collector.flush()
    assert [r.model for r in memory.records] == ["m2", "m3", "m4"]
    collector.close()


def test_the_flush_thread_exports_when_the_batch_is_full(memory: InMemorySink) -> None:
    collector = TelemetryCollector(sinks=[memory], flush_interval_seconds=3600, flush_batch_size=3)
    try:
        for _ in range(3):
            with collector.track_request(provider="openai", model="gpt-4o"):
                pass
        assert _wait_for(lambda: len(memory.records) == 3)
        assert collector._worker is not None
        assert collector._worker.name == collector_module.FLUSH_THREAD_NAME
    finally:
        collector.close()


def test_the_flush_thread_exports_on_the_interval(memory: InMemorySink) -> None:
    collector = TelemetryCollector(sinks=[memory], flush_interval_seconds=0.05)
    try:
        with collector.track_request(provider="openai", model="gpt-4o"):
            pass
        assert _wait_for(lambda: len(memory.records) == 1)
    finally:
        collector.close()


def test_close_flushes_what_is_left_and_is_idempotent(memory: InMemorySink) -> None:
    collector = TelemetryCollector(sinks=[memory], flush_interval_seconds=3600)
    with collector.track_request(provider="openai", model="gpt-4o"):
        pass
    assert memory.records == []
    collector.close()
    collector.close()
    assert len(memory.records) == 1
    assert collector._worker is not None
    assert not collector._worker.is_alive()


def test_interpreter_exit_closes_live_collectors(memory: InMemorySink) -> None:
    collector = TelemetryCollector(sinks=[memory], background=False)
    with collector.track_request(provider="openai", model="gpt-4o"):
        pass
    collector_module._close_all_at_exit()
    assert len(memory.records) == 1
    assert collector._closed


def test_a_fork_child_forgets_the_parents_buffer_and_thread(memory: InMemorySink) -> None:
    collector = TelemetryCollector(sinks=[memory], background=False)
    with collector.track_request(provider="openai", model="gpt-4o"):
        pass
    collector_module._reset_after_fork()
    assert collector.stats().buffered == 0
    assert collector._worker is None
    collector.close()


class _FlakySink:
    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.batches: list[list[str]] = []

    def write(self, records: Sequence[LLMRequestMetrics]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("sink down")
        self.batches.append([r.model for r in records])


def test_a_failing_sink_is_retried_in_order_while_other_sinks_get_the_records(
    memory: InMemorySink,
) -> None:
    flaky = _FlakySink(failures=2)
    collector = TelemetryCollector(sinks=[flaky, memory], max_retries=3, background=False)
    for name in ("a", "b"):
        with collector.track_request(provider="openai", model=name):
            pass
        with capture_logs() as logs:
            collector.flush()
        [failed] = [e for e in logs if e["event"] == "llm_telemetry_sink_failed"]
        assert failed["sink"] == "flaky"
        assert failed["result"] == "will_retry"
    assert [r.model for r in memory.records] == ["a", "b"]  # not held back by the failure
    assert flaky.batches == []
    assert collector.stats().sink_pending == {"flaky": 2, "memory": 0}
    collector.flush()
    assert flaky.batches == [["a"], ["b"]]
    stats = collector.stats()
    assert stats.sink_failures == {"flaky": 2, "memory": 0}
    assert stats.sink_dropped == {"flaky": 0, "memory": 0}
    collector.close()


def test_a_sink_that_stays_down_drops_the_batch_after_its_retries(memory: InMemorySink) -> None:
    flaky = _FlakySink(failures=10)
    collector = TelemetryCollector(sinks=[flaky, memory], max_retries=1, background=False)
    with collector.track_request(provider="openai", model="a"):
        pass
    collector.flush()
    collector.flush()
    stats = collector.stats()
    assert stats.sink_failures["flaky"] == 2
    assert stats.sink_dropped["flaky"] == 1
    assert stats.sink_pending["flaky"] == 0
    assert len(memory.records) == 1
    collector.close()


def test_a_down_sink_holds_at_most_a_buffer_of_records(memory: InMemorySink) -> None:
    flaky = _FlakySink(failures=100)
    collector = TelemetryCollector(
        sinks=[flaky, memory], max_retries=50, max_buffer_size=2, background=False
    )
    for _ in range(4):
        with collector.track_request(provider="openai", model="a"):
            pass
        collector.flush()
    stats = collector.stats()
    assert stats.sink_pending["flaky"] <= 2
    assert stats.sink_dropped["flaky"] >= 2
    collector.close()


def test_record_is_the_llm_client_telemetry_hook(
    collector: TelemetryCollector, memory: InMemorySink
) -> None:
    hook: LLMTelemetry = collector
    assert isinstance(hook, LLMTelemetry)
    info = AttemptInfo(
        provider="openai", model="gpt-4o", attempt=2, position=1, streamed=True,
        duration_ms=250.0, fallback_reason="error",
    )  # fmt: skip
    answer = LLMResponse(
        text="hi",
        provider="openai",
        model="gpt-4o-2024-08-06",
        usage=Usage.from_openai(prompt_tokens=1200, completion_tokens=80, cached_tokens=1000),
    )
    with tenant_context("globex"):
        hook.record(answer, info)
        hook.record(TimeoutError("slow"), info)
        hook.record(LLMResponse("h", "openai", "gpt-4o", complete=False, finish_reason="interrupted"), info)  # fmt: skip
    collector.flush()
    ok, failed, cut = memory.records
    assert (ok.success, ok.input_tokens, ok.cache_read_tokens, ok.output_tokens) == (
        True,
        200,
        1000,
        80,
    )
    assert ok.response_model == "gpt-4o-2024-08-06"
    assert ok.tenant_id == "globex"
    assert ok.latency_ms == 250.0
    assert ok.attempt == 2
    assert ok.fallback_reason == "error"
    assert ok.streamed is True
    assert (failed.success, failed.error_type) == (False, "TimeoutError")
    assert (cut.success, cut.error_type) == (False, "interrupted")


def test_the_llm_client_records_every_attempt_through_the_collector(
    collector: TelemetryCollector, memory: InMemorySink
) -> None:
    from netrun.llm import LLMClient, OfflineAdapter

    client = LLMClient([OfflineAdapter()], telemetry=collector)
    client.chat("Summarise this ticket", max_tokens=50)
    collector.flush()
    [record] = memory.records
    assert record.provider == "offline"
    assert record.success
    assert record.output_tokens > 0


def test_aggregation_filters_the_window_provider_model_and_tenant(
    collector: TelemetryCollector, memory: InMemorySink
) -> None:
    t0 = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.timezone.utc)
    memory.write(
        [
            make_record(at=t0, provider="openai", model="gpt-4o", tenant_id="a"),
            make_record(at=t0 + dt.timedelta(hours=1), provider="anthropic", model="claude-haiku-4-5", tenant_id="a"),
            make_record(at=t0 + dt.timedelta(days=1), provider="openai", model="gpt-4o-mini", tenant_id="b", success=False),
            make_record(at=t0 - dt.timedelta(days=40), tenant_id="a"),
        ]
    )  # fmt: skip
    until = t0 + dt.timedelta(days=2)
    every = collector.get_aggregated_metrics(since=t0, until=until, granularity="day")
    assert every.total_requests == 3
    assert every.failed_requests == 1
    assert every.success_rate == pytest.approx(2 / 3)
    assert set(every.by_provider) == {"anthropic", "openai"}
    assert every.by_provider["openai"].requests == 2
    assert set(every.by_tenant) == {"a", "b"}
    assert [(b.start.day, b.requests) for b in every.time_series] == [(10, 2), (11, 1)]
    assert every.total_cost_usd == Decimal("0.03")
    only_a = collector.get_aggregated_metrics(since=t0, until=until, tenant_id="a")
    assert only_a.total_requests == 2
    assert [b.start.hour for b in only_a.time_series] == [12, 13]
    assert (
        collector.get_aggregated_metrics(since=t0, until=until, model="gpt-4o").total_requests == 1
    )
    assert (
        collector.get_aggregated_metrics(since=t0, until=until, provider="anthropic").total_requests
        == 1
    )
    months = collector.get_aggregated_metrics(
        since=t0 - dt.timedelta(days=60), until=until, granularity="month"
    )
    assert [(b.start.month, b.requests) for b in months.time_series] == [(1, 1), (3, 3)]
    with pytest.raises(ValueError, match="granularity"):
        collector.get_aggregated_metrics(granularity="week")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not both"):
        collector.get_aggregated_metrics(hours=1, since=t0)
    with pytest.raises(ValueError, match="after"):
        collector.get_aggregated_metrics(since=until, until=t0)


def test_an_empty_window_reports_zeros(collector: TelemetryCollector) -> None:
    metrics = collector.get_aggregated_metrics(hours=1)
    assert metrics.total_requests == 0
    assert metrics.success_rate == 0.0
    assert metrics.latency_p95_ms == 0.0
    assert metrics.ttft_p50_ms is None
    assert metrics.total_cost_usd == 0
    assert metrics.time_series == []


def test_percentiles_interpolate_like_percentile_cont(
    collector: TelemetryCollector, memory: InMemorySink
) -> None:
    memory.write([make_record(latency_ms=float(value)) for value in range(100, 0, -1)])
    metrics = collector.get_aggregated_metrics(since=T0, until=T0 + dt.timedelta(seconds=1))
    assert metrics.latency_p50_ms == pytest.approx(50.5)
    assert metrics.latency_p95_ms == pytest.approx(95.05)
    assert metrics.latency_p99_ms == pytest.approx(99.01)
    assert metrics.latency_avg_ms == pytest.approx(50.5)
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.99) == 7.0
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0], 1.5)


T0 = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.timezone.utc)


def test_ten_thousand_calls_across_tenants_match_a_direct_computation(
    collector: TelemetryCollector, memory: InMemorySink
) -> None:
    import random

    rng = random.Random(10)
    records = [
        make_record(
            at=T0 + dt.timedelta(seconds=index),
            latency_ms=rng.uniform(50, 5000),
            tenant_id=f"t{index % 7}",
            success=rng.random() > 0.05,
            cost=f"{rng.randint(1, 10_000) / 1_000_000:.6f}",
            input_tokens=rng.randint(1, 4000),
            output_tokens=rng.randint(1, 800),
        )
        for index in range(10_000)
    ]
    memory.write(records)
    window = {"since": T0, "until": T0 + dt.timedelta(days=1)}
    metrics = collector.get_aggregated_metrics(**window)  # type: ignore[arg-type]
    latencies = sorted(r.latency_ms for r in records)
    assert metrics.total_requests == 10_000
    assert metrics.failed_requests == sum(not r.success for r in records)
    assert metrics.total_cost_usd == sum(r.cost_usd for r in records if r.cost_usd is not None)
    assert metrics.input_tokens == sum(r.input_tokens for r in records)
    assert metrics.latency_p95_ms == pytest.approx(
        latencies[9499] + (latencies[9500] - latencies[9499]) * 0.05
    )
    for tenant in ("t0", "t6"):
        mine = sorted(r.latency_ms for r in records if r.tenant_id == tenant)
        per_tenant = collector.get_aggregated_metrics(tenant_id=tenant, **window)  # type: ignore[arg-type]
        assert per_tenant.total_requests == len(mine) == metrics.by_tenant[tenant].requests
        assert per_tenant.latency_p50_ms == pytest.approx(percentile(mine, 0.5))


def test_the_structlog_sink_logs_one_event_per_request() -> None:
    sink = StructlogSink()
    with capture_logs() as logs:
        sink.write([make_record(input_tokens=12, output_tokens=3), make_record(success=False)])
    ok, failed = logs
    assert (ok["event"], ok["result"], ok["log_level"]) == ("llm_request", "success", "info")
    assert ok["input_tokens"] == 12
    assert ok["output_tokens"] == 3
    assert ok["cost_usd"] == "0.01"
    assert ok["duration_ms"] == 100.0
    assert ok["provider"] == "openai"
    assert (failed["result"], failed["log_level"], failed["error_type"]) == (
        "error",
        "warning",
        "LLMTimeoutError",
    )


def test_the_default_collector_backs_the_module_level_track_request() -> None:
    mine = TelemetryCollector(background=False)
    previous = set_default_collector(mine)
    try:
        assert default_collector() is mine
        with track_request(provider="openai", model="gpt-4o", tenant_id="t9"):
            pass
        assert mine.get_aggregated_metrics(hours=1, tenant_id="t9").total_requests == 1
    finally:
        set_default_collector(previous)
        mine.close()
    set_default_collector(None)
    built = default_collector()
    assert isinstance(built, TelemetryCollector)
    assert default_collector() is built
    set_default_collector(previous)
    built.close()


def test_constructor_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="flush_interval_seconds"):
        TelemetryCollector(flush_interval_seconds=0)
    with pytest.raises(ValueError, match="at least 1"):
        TelemetryCollector(max_buffer_size=0)
    with pytest.raises(ValueError, match="max_retries"):
        TelemetryCollector(max_retries=-1)
    with pytest.raises(ValueError, match="at least 1"):
        InMemorySink(max_records=0)
    collector = TelemetryCollector(sinks=[StructlogSink()], background=False)
    # No sink of these can aggregate, so a window was added for get_aggregated_metrics.
    assert [type(s).__name__ for s in collector.sinks] == ["StructlogSink", "InMemorySink"]
    assert "structlog" in repr(collector)
    collector.close()


def test_the_telemetry_core_imports_without_django() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import netrun.llm.telemetry, netrun.llm.telemetry.sinks; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_azure_monitor_without_its_extra_is_reported_and_left_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "netrun.llm.telemetry.sinks.azure_monitor", None)
    with capture_logs() as logs:
        collector = TelemetryCollector(
            export_to_azure_monitor=True,
            azure_monitor_connection_string="InstrumentationKey=x",
            background=False,
        )
    assert collector.azure_monitor_enabled is False
    [off] = [e for e in logs if e["event"] == "llm_telemetry_azure_monitor_off"]
    assert off["reason"] == "missing_dependency"
    collector.close()


def test_a_sink_that_fails_to_close_does_not_stop_the_others(memory: InMemorySink) -> None:
    class _BadClose(_FlakySink):
        def close(self) -> None:
            raise OSError("already gone")

    collector = TelemetryCollector(sinks=[_BadClose(0), memory], background=False)
    with collector.track_request(provider="openai", model="gpt-4o"):
        pass
    with capture_logs() as logs:
        collector.close()
    assert len(memory.records) == 1
    assert [e["sink"] for e in logs if e["event"] == "llm_telemetry_sink_close_failed"] == ["flaky"]


def test_records_serialise_for_logs() -> None:
    record = make_record(ttft_ms=12.3456)
    data = record.as_dict()
    assert data["started"] == "2026-03-10T12:30:00+00:00"
    assert data["ttft_ms"] == 12.346
    assert data["cost_usd"] == "0.01"
    assert record.ended_at == pytest.approx(record.started_at + 0.1)
    assert record.total_tokens == 0
