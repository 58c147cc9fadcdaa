"""The database sink and SQL aggregation, on SQLite and on the real PostgreSQL; the dashboard."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import random
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext

from netrun.core.context import tenant_context
from netrun.llm.telemetry import MetricsQuery, TelemetryCollector
from netrun.llm.telemetry.aggregation import aggregate_records
from netrun.llm.telemetry.sinks.database import DatabaseSink, PercentileCont, aggregate_usage
from netrun.llm.telemetry_models import LLMUsageRecord
from tests.llm.telemetry.conftest import T0, make_record


def _dataset(count: int = 400, seed: int = 3) -> list:  # type: ignore[type-arg]
    rng = random.Random(seed)
    return [
        make_record(
            at=T0 + dt.timedelta(minutes=17 * index),
            latency_ms=round(rng.uniform(20, 3000), 3),
            provider=rng.choice(["openai", "anthropic"]),
            model=rng.choice(["m1", "m2", "m3"]),
            tenant_id=rng.choice(["acme", "globex"]),
            success=rng.random() > 0.1,
            cost=None if index % 25 == 0 else f"{rng.randint(1, 99_999) / 10_000_000:.7f}",
            input_tokens=rng.randint(0, 5000),
            cache_read_tokens=rng.randint(0, 100),
            output_tokens=rng.randint(0, 900),
            reasoning_tokens=rng.randint(0, 50),
            ttft_ms=round(rng.uniform(5, 200), 3) if index % 3 == 0 else None,
        )
        for index in range(count)
    ]


def _query(**overrides: Any) -> MetricsQuery:
    values: dict[str, Any] = {
        "since": T0,
        "until": T0 + dt.timedelta(days=10),
        "granularity": "day",
    }
    values.update(overrides)
    return MetricsQuery(**values)


def _assert_same(sql: Any, memory: Any) -> None:
    assert sql.total_requests == memory.total_requests
    assert sql.failed_requests == memory.failed_requests
    assert sql.total_cost_usd == memory.total_cost_usd
    assert sql.unpriced_requests == memory.unpriced_requests
    assert (sql.input_tokens, sql.cache_read_tokens, sql.output_tokens, sql.reasoning_tokens) == (
        memory.input_tokens,
        memory.cache_read_tokens,
        memory.output_tokens,
        memory.reasoning_tokens,
    )
    for name in ("latency_avg_ms", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms"):
        assert getattr(sql, name) == pytest.approx(getattr(memory, name)), name
    assert sql.ttft_p50_ms == pytest.approx(memory.ttft_p50_ms)
    assert sql.ttft_p95_ms == pytest.approx(memory.ttft_p95_ms)
    for group in ("by_provider", "by_model", "by_tenant"):
        ours, theirs = getattr(sql, group), getattr(memory, group)
        assert ours.keys() == theirs.keys(), group
        for key in ours:
            assert ours[key].requests == theirs[key].requests
            assert ours[key].cost_usd == theirs[key].cost_usd
            assert ours[key].latency_p95_ms == pytest.approx(theirs[key].latency_p95_ms)
    assert [(b.start, b.requests, b.cost_usd, b.total_tokens) for b in sql.time_series] == [
        (b.start, b.requests, b.cost_usd, b.total_tokens) for b in memory.time_series
    ]


# ----------------------------------------------------------------------------- SQLite


@pytest.mark.django_db
def test_the_database_sink_writes_one_row_per_request() -> None:
    collector = TelemetryCollector(sinks=[DatabaseSink()], background=False)
    with tenant_context("acme"), collector.track_request(provider="openai", model="gpt-4o") as t:
        t.set_tokens(input_tokens=1000, output_tokens=100, reasoning_tokens=30)
    with collector.track_request(provider="openai", model="unknown-model"):
        pass
    collector.flush()
    priced, unpriced = LLMUsageRecord.objects.order_by("id")
    assert (priced.tenant_id, priced.provider, priced.model) == ("acme", "openai", "gpt-4o")
    assert priced.cost_usd == Decimal("0.0035")
    assert priced.reasoning_tokens == 30
    assert priced.success
    assert unpriced.cost_usd is None  # unknown price: NULL, never 0
    assert "gpt-4o for acme" in str(priced)
    # The collector reads its aggregates back from the database sink.
    assert collector.aggregation_source is collector.sinks[0]
    metrics = collector.get_aggregated_metrics(hours=1)
    assert metrics.total_requests == 2
    assert metrics.unpriced_requests == 1
    assert metrics.total_cost_usd == Decimal("0.0035")
    collector.close()


@pytest.mark.django_db
def test_sqlite_aggregates_match_the_in_memory_computation() -> None:
    records = _dataset()
    DatabaseSink().write(records)
    for query in (_query(), _query(tenant_id="acme", granularity="hour"), _query(provider="openai", model="m2", granularity="month")):  # fmt: skip
        with CaptureQueriesContext(connections["default"]) as queries:
            sql = aggregate_usage(LLMUsageRecord.objects.all(), query)
        _assert_same(sql, aggregate_records(records, query))
        assert not any("PERCENTILE_CONT" in q["sql"] for q in queries.captured_queries)
        assert any("ROW_NUMBER" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_sqlite_percentiles_fetch_only_the_rows_around_each_position() -> None:
    DatabaseSink().write([make_record(latency_ms=float(v)) for v in range(1000, 0, -1)])
    with CaptureQueriesContext(connections["default"]) as queries:
        metrics = aggregate_usage(LLMUsageRecord.objects.all(), _query())
    assert metrics.latency_p50_ms == pytest.approx(500.5)
    assert metrics.latency_p95_ms == pytest.approx(950.05)
    assert metrics.latency_p99_ms == pytest.approx(990.01)
    ranked = [q for q in queries.captured_queries if "ROW_NUMBER" in q["sql"]]
    cursor = connections["default"].cursor()
    cursor.execute(ranked[0]["sql"].replace("%", "%%"))
    assert len(cursor.fetchall()) <= 6  # two rows per percentile, not a thousand


@pytest.mark.django_db
def test_an_empty_database_window_reports_zeros() -> None:
    metrics = aggregate_usage(LLMUsageRecord.objects.all(), _query())
    assert metrics.total_requests == 0
    assert metrics.total_cost_usd == 0
    assert metrics.latency_p99_ms == 0.0
    assert metrics.ttft_p50_ms is None
    assert metrics.by_provider == {}
    assert metrics.time_series == []


def test_percentile_cont_rejects_a_fraction_out_of_range() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        PercentileCont("latency_ms", 95)


@pytest.mark.django_db
def test_the_usage_model_has_its_migration() -> None:
    out = io.StringIO()
    # Another model of the app may be ahead of its migration (SystemExit); ours must not be.
    with contextlib.suppress(SystemExit):
        call_command("makemigrations", "netrun_llm", "--check", "--dry-run", stdout=out)
    assert "llmusagerecord" not in out.getvalue().lower()


# ----------------------------------------------------------------------------- PostgreSQL


def test_postgres_percentiles_are_percentile_cont_on_known_data(pg_alias: str) -> None:
    sink = DatabaseSink(using=pg_alias)
    sink.write([make_record(latency_ms=float(v), ttft_ms=float(v) / 10) for v in range(1, 101)])
    with CaptureQueriesContext(connections[pg_alias]) as queries:
        metrics = sink.aggregate(_query())
    assert any("PERCENTILE_CONT(0.95) WITHIN GROUP" in q["sql"] for q in queries.captured_queries)
    assert metrics.latency_p50_ms == pytest.approx(50.5)
    assert metrics.latency_p95_ms == pytest.approx(95.05)
    assert metrics.latency_p99_ms == pytest.approx(99.01)
    assert metrics.ttft_p50_ms == pytest.approx(5.05)
    assert metrics.by_provider["openai"].latency_p99_ms == pytest.approx(99.01)
    assert metrics.total_cost_usd == Decimal("1.00")


def test_postgres_aggregates_match_the_in_memory_computation(pg_alias: str) -> None:
    records = _dataset()
    collector = TelemetryCollector(sinks=[DatabaseSink(using=pg_alias)], background=False)
    for record in records:
        collector.submit(record)
    collector.flush()
    assert LLMUsageRecord.objects.using(pg_alias).count() == len(records)
    for query in (_query(), _query(tenant_id="globex", granularity="hour"), _query(provider="anthropic", granularity="month")):  # fmt: skip
        _assert_same(
            DatabaseSink(using=pg_alias).aggregate(query), aggregate_records(records, query)
        )
    collector.close()


# ----------------------------------------------------------------------------- dashboard


@pytest.fixture
def usage_rows(db: None) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    DatabaseSink().write(
        [
            make_record(at=now - dt.timedelta(hours=2), tenant_id="acme", cost="1.50"),
            make_record(at=now - dt.timedelta(days=1), tenant_id="acme", success=False, correlation_id="corr-x"),
            make_record(at=now - dt.timedelta(hours=1), tenant_id="globex", provider="anthropic", model="claude-haiku-4-5", cost="7.25"),
        ]
    )  # fmt: skip


def _request(user: Any, query: str = "") -> Any:
    from django.test import RequestFactory

    request = RequestFactory().get(f"/admin/llm/dashboard/{query}")
    request.user = user
    return request


def test_a_superuser_sees_every_tenant_with_an_svg_chart(usage_rows: None, admin_user: Any) -> None:
    from netrun.llm.telemetry.dashboard import llm_dashboard_view

    response = llm_dashboard_view(_request(admin_user))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<td id="total-requests">3</td>' in html
    assert '<td id="total-cost">8.76</td>' in html  # two decimals from 1 USD up
    assert '<td id="success-rate">66.7%</td>' in html
    assert "<svg" in html
    assert "<rect" in html
    assert "cdn" not in html.lower()
    assert "globex" in html
    assert "anthropic/claude-haiku-4-5" in html
    assert "corr-x" in html  # the recent failure
    filtered = llm_dashboard_view(_request(admin_user, "?tenant=globex&granularity=hour&days=x"))
    assert '<td id="total-requests">1</td>' in filtered.content.decode()


def test_tenant_staff_see_only_their_tenant_and_nothing_without_one(
    usage_rows: None, django_user_model: Any
) -> None:
    from netrun.llm.telemetry.dashboard import llm_dashboard_view

    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    with tenant_context("acme"):
        html = llm_dashboard_view(_request(staff, "?tenant=globex")).content.decode()
    assert '<td id="total-requests">2</td>' in html
    assert "globex" not in html.replace('value="globex"', "")
    denied = llm_dashboard_view(_request(staff)).content.decode()
    assert "nothing to show" in denied
    assert 'id="total-requests"' not in denied


def test_the_spend_chart_handles_an_empty_series() -> None:
    from netrun.llm.telemetry.dashboard import spend_chart_svg

    assert "No requests" in spend_chart_svg([])
