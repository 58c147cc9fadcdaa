"""Telemetry by user, API key and feature tag: from a real call to the reports (issue 17)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from netrun.core.context import tenant_context, user_context
from netrun.errors import BudgetExceededError
from netrun.llm import LLMClient
from netrun.llm.adapters import OpenAIAdapter
from netrun.llm.attribution import api_key_context, llm_tags
from netrun.llm.policies import PolicyEnforcer, TenantPolicy
from netrun.llm.telemetry import InMemorySink, LLMRequestMetrics, TelemetryCollector
from netrun.llm.telemetry.records import AggregatedMetrics, MetricsQuery
from netrun.llm.telemetry.sinks.database import DatabaseSink, aggregate_usage
from netrun.llm.telemetry.sinks.rollup import rebuild_rollups
from netrun.llm.telemetry_models import (
    LLMUsageRecord,
    LLMUsageScopeDaily,
    LLMUsageTag,
)
from netrun.llm.testing import StubLLMServer, StubReply, StubUsage
from tests.llm.telemetry.conftest import T0, make_record

KEY = "sk-test-0123456789abcdefghij"


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(lifetime=60) as server:
        yield server


def _scoped_records() -> list[LLMRequestMetrics]:
    """Three users, two keys, three tags over two days and a bit; costs chosen per user."""
    records = []
    for index in range(300):
        user = ("u1", "u2", "u3")[index % 3]
        at = T0 - dt.timedelta(hours=index % 60, minutes=index % 7)
        tags: tuple[str, ...] = (("summary",), ("summary", "search"), ())[(index // 3) % 3]
        records.append(
            make_record(
                at=at,
                latency_ms=50.0 + (index * 37) % 900,
                cost={"u1": "0.05", "u2": "0.01", "u3": None}[user],
                success=index % 11 != 0,
                tenant_id=("acme", "globex")[index % 2],
                user_id=user,
                api_key=("svc-a", None)[index % 4 == 0],
                tags=tags,
                input_tokens=100 + index,
                output_tokens=index % 50,
            )
        )
        if index % 13 == 0:
            records[-1].success = False
            records[-1].error_type = "budget:scope_budget"
    return records


# ----------------------------------------------------------------------------- a real call


@pytest.mark.django_db
def test_a_real_call_records_its_user_key_and_tags_down_to_the_database(
    stub: StubLLMServer,
) -> None:
    sink = DatabaseSink()
    collector = TelemetryCollector(sinks=[sink], background=False)
    adapter = OpenAIAdapter(api_key=KEY, base_url=stub.openai_base_url, model="gpt-4o-mini")
    stub.script(StubReply(usage=StubUsage(input_tokens=1_000, output_tokens=500)))
    client = LLMClient([adapter], telemetry=collector)
    with (
        tenant_context("acme"),
        user_context(42),
        api_key_context("svc-reports"),
        llm_tags("ticket-summary"),
        llm_tags("nightly"),
    ):
        client.chat("hi", max_tokens=500)
    collector.close()

    row = LLMUsageRecord.objects.get()
    assert (row.tenant_id, row.user_id, row.api_key, row.tags) == (
        "acme",
        "42",
        "svc-reports",
        "ticket-summary,nightly",
    )
    assert sorted(LLMUsageTag.objects.values_list("tag", "tenant_id", "record_id")) == [
        ("nightly", "acme", row.pk),
        ("ticket-summary", "acme", row.pk),
    ]
    # The daily scope rollup counts the call once for its user, its key and each tag.
    assert sorted(
        LLMUsageScopeDaily.objects.values_list("kind", "value", "requests", "output_tokens")
    ) == [
        ("key", "svc-reports", 1, 500),
        ("tag", "nightly", 1, 500),
        ("tag", "ticket-summary", 1, 500),
        ("user", "42", 1, 500),
    ]
    metrics = sink.aggregate(
        MetricsQuery(
            since=T0.replace(year=2000),
            until=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
            tag="nightly",
            group_by="user",
        )
    )
    assert list(metrics.by_scope) == ["42"]
    assert metrics.by_scope["42"].cost_usd == Decimal("0.00045")  # 1000 x 0.15 + 500 x 0.60 / 1M


def test_a_refused_call_counts_as_a_refusal_of_its_user_and_tag(stub: StubLLMServer) -> None:
    memory = InMemorySink()
    collector = TelemetryCollector(sinks=[memory], background=False)
    adapter = OpenAIAdapter(api_key=KEY, base_url=stub.openai_base_url, model="gpt-4o")
    enforcer = PolicyEnforcer(TenantPolicy("acme", daily_budget_usd=Decimal("0.000001")))
    client = LLMClient([adapter], enforcer=enforcer, telemetry=collector)
    with (
        tenant_context("acme"),
        user_context("7"),
        llm_tags("export"),
        pytest.raises(BudgetExceededError),
    ):
        client.chat("hi", max_tokens=500)
    metrics = collector.get_aggregated_metrics(group_by="tag")
    assert metrics.refused_requests == 1
    assert metrics.by_scope["export"].refused == 1
    assert collector.get_aggregated_metrics(group_by="user").by_scope["7"].refused == 1


def test_track_request_takes_the_context_and_explicit_arguments(
    collector: TelemetryCollector, memory: InMemorySink
) -> None:
    with user_context("ctx-user"), api_key_context("ctx-key"), llm_tags("outer"):
        with collector.track_request(provider="openai", model="gpt-4o", tags=["inner"]):
            pass
        with collector.track_request(
            provider="openai", model="gpt-4o", user_id="arg-user", api_key="arg-key"
        ):
            pass
    collector.flush()
    first, second = memory.records
    assert (first.user_id, first.api_key, first.tags) == ("ctx-user", "ctx-key", ("outer", "inner"))
    assert (second.user_id, second.api_key, second.tags) == ("arg-user", "arg-key", ("outer",))
    assert first.as_dict()["tags"] == ["outer", "inner"]


# ----------------------------------------------------------------------------- in memory


def _cents(amount: Decimal) -> Decimal:
    # SQLite sums decimals as floats: 4.99999999999999 for 5.00.
    return Decimal(amount).quantize(Decimal("0.000001"))


def _expected(
    records: list[LLMRequestMetrics], kind: str
) -> dict[str, tuple[int, Decimal, int, int]]:
    """requests, cost, tokens, refusals per group, computed by hand."""
    groups: dict[str, list[LLMRequestMetrics]] = {}
    for record in records:
        values = {"user": (record.user_id or "",), "key": (record.api_key or "",)}.get(
            kind, record.tags
        )
        for value in values:
            groups.setdefault(value, []).append(record)
    return {
        value: (
            len(members),
            _cents(sum((r.cost_usd for r in members if r.cost_usd is not None), Decimal(0))),
            sum(r.total_tokens for r in members),
            sum(1 for r in members if (r.error_type or "").startswith("budget:")),
        )
        for value, members in groups.items()
    }


def _observed(metrics: AggregatedMetrics) -> dict[str, tuple[int, Decimal, int, int]]:
    return {
        key: (row.requests, _cents(row.cost_usd), row.total_tokens, row.refused)
        for key, row in metrics.by_scope.items()
    }


def _window() -> MetricsQuery:
    return MetricsQuery(since=T0 - dt.timedelta(days=4), until=T0 + dt.timedelta(days=1))


def test_in_memory_groups_and_filters_by_user_key_and_tag() -> None:
    records = _scoped_records()
    sink = InMemorySink()
    sink.write(records)
    window = _window()
    for kind in ("user", "key", "tag"):
        metrics = sink.aggregate(MetricsQuery(window.since, window.until, group_by=kind))
        assert metrics.group_by == kind
        assert _observed(metrics) == _expected(records, kind)
    tagged = sink.aggregate(MetricsQuery(window.since, window.until, tag="search"))
    assert tagged.total_requests == sum("search" in r.tags for r in records)
    one = sink.aggregate(MetricsQuery(window.since, window.until, user_id="u1", api_key="svc-a"))
    assert one.total_requests == sum(r.user_id == "u1" and r.api_key == "svc-a" for r in records)
    assert one.total_requests > 0


def test_a_bad_group_by_is_refused() -> None:
    with pytest.raises(ValueError, match="group_by"):
        MetricsQuery(since=T0, until=T0, group_by="team")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- databases


def _assert_scopes_match(rolled: AggregatedMetrics, exact: AggregatedMetrics) -> None:
    assert set(rolled.by_scope) == set(exact.by_scope)
    for key, row in exact.by_scope.items():
        other = rolled.by_scope[key]
        assert (other.requests, other.failed, other.refused, other.unpriced_requests) == (
            row.requests,
            row.failed,
            row.refused,
            row.unpriced_requests,
        )
        assert _cents(other.cost_usd) == _cents(row.cost_usd)
        assert other.total_tokens == row.total_tokens
        assert other.latency_avg_ms == pytest.approx(row.latency_avg_ms)
        # Percentiles from the histograms: within 1% of percentile_cont's.
        assert other.latency_p95_ms == pytest.approx(row.latency_p95_ms, rel=0.011)


def _check_database(using: str) -> None:
    records = _scoped_records()
    sink = DatabaseSink(using=using)
    for start in range(0, len(records), 71):
        sink.write(records[start : start + 71])
    queryset = LLMUsageRecord.objects.using(using)
    window = _window()
    memory = InMemorySink()
    memory.write(records)
    for kind in ("user", "key", "tag"):
        query = MetricsQuery(window.since, window.until, group_by=kind)
        exact = aggregate_usage(queryset, query, rollup_threshold=None)
        assert _observed(exact) == _expected(records, kind)
        # The SQL percentiles are the in-memory ones (percentile_cont or its fallback).
        in_memory = memory.aggregate(query)
        for key, row in exact.by_scope.items():
            assert row.latency_p50_ms == pytest.approx(in_memory.by_scope[key].latency_p50_ms)
            assert row.latency_p99_ms == pytest.approx(in_memory.by_scope[key].latency_p99_ms)
        rolled = aggregate_usage(queryset, query, rollup_threshold=1)
        assert rolled.percentiles_estimated  # the rollups answered
        _assert_scopes_match(rolled, exact)
    # Filters: the records path, exact.
    cases: tuple[tuple[dict[str, Any], Callable[[LLMRequestMetrics], bool]], ...] = (
        ({"tag": "search"}, lambda r: "search" in r.tags),
        ({"user_id": "u2"}, lambda r: r.user_id == "u2"),
        (
            {"api_key": "svc-a", "tenant_id": "acme"},
            lambda r: r.api_key == "svc-a" and r.tenant_id == "acme",
        ),
    )
    for filters, keep in cases:
        metrics = aggregate_usage(
            queryset, MetricsQuery(window.since, window.until, group_by="tag", **filters)
        )
        kept = [record for record in records if keep(record)]
        assert metrics.total_requests == len(kept) > 0
        assert metrics.refused_requests == sum(
            (r.error_type or "").startswith("budget:") for r in kept
        )
        assert not metrics.percentiles_estimated
    # A rebuild from the records recomputes the scope rollups the sink kept.
    kept_rows = sorted(
        LLMUsageScopeDaily.objects.using(using).values_list(
            "day", "tenant_id", "kind", "value", "requests", "refused", "output_tokens"
        )
    )
    LLMUsageScopeDaily.objects.using(using).all().delete()
    rebuild_rollups(using=using)
    assert (
        sorted(
            LLMUsageScopeDaily.objects.using(using).values_list(
                "day", "tenant_id", "kind", "value", "requests", "refused", "output_tokens"
            )
        )
        == kept_rows
    )


@pytest.mark.django_db
def test_sqlite_groups_by_user_key_and_tag_from_records_and_rollups() -> None:
    _check_database("default")


@pytest.mark.django_db(transaction=True)
def test_postgres_groups_by_user_key_and_tag_from_records_and_rollups(pg_alias: str) -> None:
    _check_database(pg_alias)


@pytest.mark.django_db
def test_the_rollups_read_percentiles_of_the_costliest_groups_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from netrun.llm.telemetry.sinks.rollup import read

    DatabaseSink().write(_scoped_records())
    monkeypatch.setattr(read, "SCOPE_PERCENTILE_GROUPS", 1)
    window = _window()
    rolled = aggregate_usage(
        LLMUsageRecord.objects.all(),
        MetricsQuery(window.since, window.until, group_by="user"),
        rollup_threshold=1,
    )
    assert rolled.percentiles_estimated
    # u1 spends the most: its percentiles are read; the others keep exact totals only.
    assert rolled.by_scope["u1"].latency_p95_ms > 0
    assert rolled.by_scope["u2"].latency_p95_ms == rolled.by_scope["u3"].latency_p95_ms == 0.0
    assert rolled.by_scope["u2"].requests == 100
    assert rolled.by_scope["u2"].latency_avg_ms > 0
