"""Percentiles, breakdowns and time series over records held in memory.

The database sink computes the same numbers in SQL (:mod:`netrun.llm.telemetry.sinks.database`);
both use the definitions here: percentiles interpolate linearly between the two nearest ranks,
exactly like PostgreSQL's ``percentile_cont``, and buckets start on UTC hour, day or month
boundaries.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from netrun.llm.telemetry.records import (
    AggregatedMetrics,
    Breakdown,
    Granularity,
    LLMRequestMetrics,
    MetricsQuery,
    TimeBucket,
    is_refusal,
)

__all__ = [
    "HISTOGRAM_RELATIVE_ERROR",
    "PERCENTILES",
    "LatencyHistogram",
    "aggregate_records",
    "bucket_start",
    "histogram_bucket",
    "percentile",
    "resolve_window",
]

#: The percentiles every aggregate reports.
PERCENTILES = (0.5, 0.95, 0.99)
_UTC = dt.timezone.utc


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile of ascending ``sorted_values`` (``percentile_cont``)."""
    if not sorted_values:
        return None
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be between 0 and 1")
    position = fraction * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * weight


#: Relative error of a percentile read from a :class:`LatencyHistogram` (1%).
HISTOGRAM_RELATIVE_ERROR = 0.01
#: Bucket ``i`` holds the values in ``(GAMMA ** (i - 1), GAMMA ** i]`` milliseconds.
GAMMA = (1 + HISTOGRAM_RELATIVE_ERROR) / (1 - HISTOGRAM_RELATIVE_ERROR)
LN_GAMMA = math.log(GAMMA)
#: Values at or below this many milliseconds share the lowest bucket.
HISTOGRAM_FLOOR_MS = 0.01


def histogram_bucket(value_ms: float) -> int:
    """The :class:`LatencyHistogram` bucket of ``value_ms`` (the SQL rollups compute the same)."""
    return math.ceil(math.log(max(value_ms, HISTOGRAM_FLOOR_MS)) / LN_GAMMA)


@dataclass
class LatencyHistogram:
    """Counts per logarithmic bucket: mergeable, and any percentile within 1% of the value.

    The idea of DDSketch: bucket ``i`` spans ``(GAMMA ** (i - 1), GAMMA ** i]`` and is read
    back as ``2 * GAMMA ** i / (GAMMA + 1)``, which is within
    :data:`HISTOGRAM_RELATIVE_ERROR` of every value in it. The database rollups keep one
    histogram per day and provider/model, tenant, and for time to first token.
    """

    counts: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, value_ms: float, count: int = 1) -> None:
        bucket = histogram_bucket(value_ms)
        self.counts[bucket] = self.counts.get(bucket, 0) + count

    def add_bucket(self, bucket: int, count: int) -> None:
        self.counts[bucket] = self.counts.get(bucket, 0) + count

    def merge(self, other: LatencyHistogram) -> None:
        for bucket, count in other.counts.items():
            self.add_bucket(bucket, count)

    def percentile(self, fraction: float) -> float | None:
        """``percentile_cont`` of the values, each read as its bucket's value: within 1%.

        Interpolates between the values at ranks ``floor(pos)`` and ``floor(pos) + 1``, like
        :func:`percentile`; both are within 1% of the true values, and so is the result.
        """
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        total = self.total
        if not total:
            return None
        position = fraction * (total - 1)
        low_rank = math.floor(position)
        high_rank = min(low_rank + 1, total - 1)
        low = high = None
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if low is None and seen > low_rank:
                low = 2 * GAMMA**bucket / (GAMMA + 1)
            if seen > high_rank:
                high = 2 * GAMMA**bucket / (GAMMA + 1)
                break
        assert low is not None
        assert high is not None
        return low + (high - low) * (position - low_rank)


def interpolate(count: int, fraction: float, ranked: dict[int, float]) -> float:
    """:func:`percentile` from the values at 0-based ranks ``floor(pos)`` and ``floor(pos)+1``.

    The SQL fallback fetches only those rows; this combines them the same way.
    """
    position = fraction * (count - 1)
    low = math.floor(position)
    if position == low:
        # On a rank exactly: the next row is 1 away, so the fallback did not fetch it.
        return ranked[low]
    return ranked[low] + (ranked[low + 1] - ranked[low]) * (position - low)


def bucket_start(moment: dt.datetime, granularity: Granularity) -> dt.datetime:
    """The UTC start of the hour, day or month ``moment`` falls in."""
    moment = moment.astimezone(_UTC)
    if granularity == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if granularity == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def resolve_window(
    hours: float | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    *,
    now: dt.datetime | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """``(since, until)``: ``until`` defaults to now, ``since`` to ``hours`` (24) before it."""
    if hours is not None and since is not None:
        raise ValueError("pass hours or since, not both")
    end = until if until is not None else (now or dt.datetime.now(_UTC))
    start = since if since is not None else end - dt.timedelta(hours=24 if hours is None else hours)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("since and until must be timezone-aware datetimes")
    if start > end:
        raise ValueError("since must not be after until")
    return start, end


@dataclass
class _Group:
    """Running totals of one group while records stream past."""

    requests: int = 0
    failed: int = 0
    refused: int = 0
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost: Decimal = Decimal(0)
    unpriced: int = 0
    latency_sum: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def add(self, record: LLMRequestMetrics) -> None:
        self.requests += 1
        self.failed += not record.success
        self.refused += is_refusal(record.error_type)
        self.input_tokens += record.input_tokens
        self.cache_read_tokens += record.cache_read_tokens
        self.cache_write_tokens += record.cache_write_tokens
        self.output_tokens += record.output_tokens
        self.reasoning_tokens += record.reasoning_tokens
        if record.cost_usd is None:
            self.unpriced += 1
        else:
            self.cost += record.cost_usd
        self.latency_sum += record.latency_ms
        self.latencies.append(record.latency_ms)

    def percentiles(self) -> tuple[float, float, float]:
        ordered = sorted(self.latencies)
        p50, p95, p99 = (percentile(ordered, q) or 0.0 for q in PERCENTILES)
        return p50, p95, p99

    def breakdown(self, key: str) -> Breakdown:
        p50, p95, p99 = self.percentiles()
        return Breakdown(
            key=key,
            requests=self.requests,
            failed=self.failed,
            input_tokens=self.input_tokens,
            cache_read_tokens=self.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens,
            output_tokens=self.output_tokens,
            reasoning_tokens=self.reasoning_tokens,
            cost_usd=self.cost,
            unpriced_requests=self.unpriced,
            latency_avg_ms=self.latency_sum / self.requests if self.requests else 0.0,
            latency_p50_ms=p50,
            latency_p95_ms=p95,
            latency_p99_ms=p99,
            refused=self.refused,
        )


def matches(record: LLMRequestMetrics, query: MetricsQuery, since: float, until: float) -> bool:
    return (
        since <= record.started_at < until
        and (query.tenant_id is None or record.tenant_id == query.tenant_id)
        and (query.provider is None or record.provider == query.provider)
        and (query.model is None or record.model == query.model)
        and (query.user_id is None or record.user_id == query.user_id)
        and (query.api_key is None or record.api_key == query.api_key)
        and (query.tag is None or query.tag in record.tags)
    )


def scope_values(record: LLMRequestMetrics, kind: str) -> tuple[str, ...]:
    """The groups of ``kind`` a record is in: its user or key (``""``: none), or its tags."""
    if kind == "user":
        return (record.user_id or "",)
    if kind == "key":
        return (record.api_key or "",)
    return record.tags


def aggregate_records(
    records: Iterable[LLMRequestMetrics], query: MetricsQuery
) -> AggregatedMetrics:
    """Aggregate the records of ``query``'s window in one pass (plus one sort per group)."""
    since, until = query.since.timestamp(), query.until.timestamp()
    total = _Group()
    providers: dict[str, _Group] = {}
    models: dict[str, _Group] = {}
    tenants: dict[str, _Group] = {}
    buckets: dict[dt.datetime, _Group] = {}
    scopes: dict[str, _Group] = {}
    ttfts: list[float] = []
    for record in records:
        if not matches(record, query, since, until):
            continue
        total.add(record)
        providers.setdefault(record.provider, _Group()).add(record)
        models.setdefault(f"{record.provider}/{record.model}", _Group()).add(record)
        tenants.setdefault(record.tenant_id or "", _Group()).add(record)
        buckets.setdefault(bucket_start(record.started, query.granularity), _Group()).add(record)
        if query.group_by is not None:
            for value in scope_values(record, query.group_by):
                scopes.setdefault(value, _Group()).add(record)
        if record.ttft_ms is not None:
            ttfts.append(record.ttft_ms)
    ttfts.sort()
    return AggregatedMetrics.from_overall(
        query,
        total.breakdown(""),
        ttft_p50_ms=percentile(ttfts, 0.5),
        ttft_p95_ms=percentile(ttfts, 0.95),
        by_provider={key: group.breakdown(key) for key, group in sorted(providers.items())},
        by_model={key: group.breakdown(key) for key, group in sorted(models.items())},
        by_tenant={key: group.breakdown(key) for key, group in sorted(tenants.items())},
        by_scope={key: group.breakdown(key) for key, group in sorted(scopes.items())},
        time_series=[
            TimeBucket(
                start=start,
                requests=group.requests,
                failed=group.failed,
                total_tokens=group.input_tokens
                + group.cache_read_tokens
                + group.cache_write_tokens
                + group.output_tokens,
                cost_usd=group.cost,
                latency_avg_ms=group.latency_sum / group.requests,
            )
            for start, group in sorted(buckets.items())
        ],
    )
