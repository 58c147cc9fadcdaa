"""Rollups: kept by the database sink, rebuilt from records, and read for large windows.

The reference for every report is the exact path over the records (itself checked against
the in-memory computation in test_database.py): totals, breakdowns and the time series must
match it exactly, percentiles within the histograms' 1%.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from netrun.llm.telemetry import MetricsQuery
from netrun.llm.telemetry.aggregation import (
    HISTOGRAM_RELATIVE_ERROR,
    LatencyHistogram,
    histogram_bucket,
    percentile,
)
from netrun.llm.telemetry.records import AggregatedMetrics, LLMRequestMetrics
from netrun.llm.telemetry.sinks.database import DatabaseSink, aggregate_usage
from netrun.llm.telemetry.sinks.rollup import aggregate_with_rollups, rebuild_rollups
from netrun.llm.telemetry_models import LLMLatencyHistogram, LLMUsageHourly, LLMUsageRecord
from tests.llm.telemetry.conftest import T0, make_record

# The data runs from T0 (12:30 on a day) for a bit over four days, so a window has partial
# days at both ends and whole days in between.
DAYS = 4


def _dataset(count: int = 600, seed: int = 11) -> list[LLMRequestMetrics]:
    rng = random.Random(seed)
    step = dt.timedelta(days=DAYS) / count
    return [
        make_record(
            at=T0 + step * index,
            latency_ms=round(rng.lognormvariate(6, 0.8), 3),
            provider=rng.choice(["openai", "anthropic"]),
            model=rng.choice(["m1", "m2"]),
            tenant_id=rng.choice(["acme", "globex", "initech"]),
            success=rng.random() > 0.1,
            cost=None if index % 20 == 0 else f"{rng.randint(1, 99_999) / 10_000_000:.7f}",
            input_tokens=rng.randint(0, 5000),
            cache_read_tokens=rng.randint(0, 100),
            output_tokens=rng.randint(0, 900),
            reasoning_tokens=rng.randint(0, 50),
            ttft_ms=round(rng.uniform(5, 400), 3) if index % 3 == 0 else None,
        )
        for index in range(count)
    ]


def _query(**overrides: Any) -> MetricsQuery:
    values: dict[str, Any] = {
        "since": T0 + dt.timedelta(hours=3, minutes=7),
        "until": T0 + dt.timedelta(days=DAYS, hours=-2, minutes=11),
        "granularity": "day",
    }
    values.update(overrides)
    return MetricsQuery(**values)


def _close(estimate: float, exact: float) -> bool:
    # Within the histograms' relative error, plus a hair for float rounding.
    return abs(estimate - exact) <= exact * HISTOGRAM_RELATIVE_ERROR * 1.001 + 1e-9


def _assert_matches(rolled: AggregatedMetrics, exact: AggregatedMetrics) -> None:
    assert rolled.percentiles_estimated
    assert not exact.percentiles_estimated
    for name in (
        "total_requests",
        "failed_requests",
        "unpriced_requests",
        "input_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
    ):
        assert getattr(rolled, name) == getattr(exact, name), name
    assert rolled.total_cost_usd == pytest.approx(exact.total_cost_usd, abs=Decimal("1e-9"))
    assert rolled.latency_avg_ms == pytest.approx(exact.latency_avg_ms)
    for name in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "ttft_p50_ms"):
        assert _close(getattr(rolled, name), getattr(exact, name)), name
    for group in ("by_provider", "by_model", "by_tenant"):
        ours, theirs = getattr(rolled, group), getattr(exact, group)
        assert ours.keys() == theirs.keys(), group
        for key in ours:
            assert (ours[key].requests, ours[key].failed) == (
                theirs[key].requests,
                theirs[key].failed,
            )
            assert ours[key].cost_usd == pytest.approx(theirs[key].cost_usd, abs=Decimal("1e-9"))
            assert _close(ours[key].latency_p95_ms, theirs[key].latency_p95_ms), (group, key)
    assert [(b.start, b.requests, b.failed, b.total_tokens) for b in rolled.time_series] == [
        (b.start, b.requests, b.failed, b.total_tokens) for b in exact.time_series
    ]


def _rollup_rows(using: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    hours = LLMUsageHourly.objects.using(using).order_by("hour", "tenant_id", "provider", "model")
    buckets = LLMLatencyHistogram.objects.using(using).order_by("day", "dimension", "key", "bucket")
    return (
        [
            (
                h.hour,
                h.tenant_id,
                h.provider,
                h.model,
                h.requests,
                h.failed,
                h.unpriced,
                round(float(h.cost_usd), 9),
                h.input_tokens,
                h.output_tokens,
                round(h.latency_sum_ms, 6),
            )
            for h in hours
        ],
        list(buckets.values_list("day", "dimension", "key", "bucket", "count")),
    )


# ----------------------------------------------------------------------------- the histogram


def test_a_histogram_percentile_is_within_one_percent_of_the_exact_value() -> None:
    rng = random.Random(5)
    values = sorted(rng.lognormvariate(5, 1.2) for _ in range(20_000))
    histogram = LatencyHistogram()
    for value in values:
        histogram.add(value)
    for fraction in (0.0, 0.5, 0.9, 0.95, 0.99, 1.0):
        exact = percentile(values, fraction)
        assert exact is not None
        estimate = histogram.percentile(fraction)
        assert estimate is not None
        assert _close(estimate, exact), fraction
    assert LatencyHistogram().percentile(0.5) is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        histogram.percentile(1.5)


def test_histograms_merge_like_one_histogram_of_everything() -> None:
    left, right, both = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    for value in (1.0, 20.0, 300.0, 0.0, 4000.0):
        left.add(value)
        both.add(value)
    for value in (7.5, 20.0, 60_000.0):
        right.add(value)
        both.add(value)
    left.merge(right)
    assert left.counts == both.counts
    assert left.total == 8
    # Zero and sub-floor values share the lowest bucket instead of failing on log(0).
    assert histogram_bucket(0.0) == histogram_bucket(0.005)
    assert percentile([0.0, 1.0], 0.5) == 0.5


# ----------------------------------------------------------------------------- SQLite


@pytest.mark.django_db
def test_the_sink_keeps_the_rollups_that_a_rebuild_from_records_recomputes() -> None:
    records = _dataset()
    sink = DatabaseSink()
    for start in range(0, len(records), 97):  # several flushes, some rows adding to others
        sink.write(records[start : start + 97])
    kept = _rollup_rows("default")
    assert sum(row[4] for row in kept[0]) == len(records)
    # Each record lands in a model, a tenant, a user and an API key histogram (its tags: it
    # has none); a third of them in TTFT.
    assert sum(row[4] for row in kept[1]) == 4 * len(records) + len(records[::3])

    LLMUsageHourly.objects.all().delete()
    LLMLatencyHistogram.objects.all().delete()
    assert rebuild_rollups() == len(records)
    assert _rollup_rows("default") == kept


@pytest.mark.django_db
def test_a_large_window_reads_the_rollups_and_matches_the_exact_report() -> None:
    DatabaseSink().write(_dataset())
    queryset = LLMUsageRecord.objects.all()
    for granularity in ("hour", "day", "month"):
        query = _query(granularity=granularity)
        exact = aggregate_usage(queryset, query, rollup_threshold=None)
        rolled = aggregate_usage(queryset, query, rollup_threshold=1)
        _assert_matches(rolled, exact)
    assert exact.total_requests > 400  # the window really spans most of the data


@pytest.mark.django_db
def test_small_filtered_or_sub_day_windows_stay_exact() -> None:
    DatabaseSink().write(_dataset())
    queryset = LLMUsageRecord.objects.all()
    # Below the threshold: the records, with exact percentiles.
    assert not aggregate_usage(queryset, _query(), rollup_threshold=10_000).percentiles_estimated
    # A filter the rollups cannot answer jointly, or a queryset filtered by the caller.
    assert aggregate_with_rollups(queryset, _query(tenant_id="acme"), threshold=0) is None
    assert aggregate_with_rollups(queryset, _query(model="m1"), threshold=0) is None
    filtered = queryset.filter(success=True)
    assert aggregate_with_rollups(filtered, _query(), threshold=0) is None
    # No whole day inside the window.
    short = _query(until=T0 + dt.timedelta(hours=30))
    assert aggregate_with_rollups(queryset, short, threshold=0) is None


@pytest.mark.django_db
def test_records_written_around_the_sink_are_missing_until_a_rebuild() -> None:
    DatabaseSink().write(_dataset(200))
    # A bulk import that bypasses the sink: the rollups do not know it yet.
    LLMUsageRecord.objects.bulk_create(
        [
            LLMUsageRecord(
                provider="openai", model="m9", tenant_id="acme", latency_ms=50.0,
                created=T0 + dt.timedelta(days=1, hours=6),
            )
            for _ in range(25)
        ]
    )  # fmt: skip
    queryset = LLMUsageRecord.objects.all()
    exact = aggregate_usage(queryset, _query(), rollup_threshold=None)
    stale = aggregate_usage(queryset, _query(), rollup_threshold=1)
    assert stale.total_requests == exact.total_requests - 25
    rebuild_rollups(since=T0, until=T0 + dt.timedelta(days=DAYS + 1))
    _assert_matches(aggregate_usage(queryset, _query(), rollup_threshold=1), exact)


# ----------------------------------------------------------------------------- PostgreSQL


def test_postgres_rollups_add_up_across_writers_and_match_the_exact_report(pg_alias: str) -> None:
    records = _dataset(900, seed=23)
    # Two sinks (two processes' flush threads) adding to the same hours and buckets.
    first, second = DatabaseSink(using=pg_alias), DatabaseSink(using=pg_alias)
    first.write(records[::2])
    second.write(records[1::2])
    kept = _rollup_rows(pg_alias)
    assert sum(row[4] for row in kept[0]) == len(records)

    queryset = LLMUsageRecord.objects.using(pg_alias)
    for granularity in ("hour", "day"):
        query = _query(granularity=granularity)
        _assert_matches(
            aggregate_usage(queryset, query, rollup_threshold=1),
            aggregate_usage(queryset, query, rollup_threshold=None),
        )
    assert rebuild_rollups(using=pg_alias) == len(records)
    assert _rollup_rows(pg_alias) == kept
    assert connections[pg_alias].vendor == "postgresql"
