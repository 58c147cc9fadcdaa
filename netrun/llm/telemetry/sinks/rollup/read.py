"""Answering a report from the rollups: whole days from them, the partial days from records.

Totals, breakdowns and the time series are exact; percentiles come from the histograms
(``AggregatedMetrics.percentiles_estimated``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from netrun.llm.telemetry.aggregation import PERCENTILES, LatencyHistogram
from netrun.llm.telemetry.records import (
    AggregatedMetrics,
    Breakdown,
    MetricsQuery,
    ScopeKind,
    TimeBucket,
)
from netrun.llm.telemetry.sinks.rollup.write import (
    _TOKENS,
    SCOPE_FIELDS,
    _as_utc,
    _bucket_expression,
    _day_start,
    _db_datetime,
    _histogram_sources,
    _record_sums,
    _trunc,
    supports_rollups,
)
from netrun.llm.telemetry_models import (
    LLMLatencyHistogram,
    LLMUsageHourly,
    LLMUsageRecord,
    LLMUsageScopeDaily,
)

__all__ = ["DEFAULT_THRESHOLD", "SCOPE_PERCENTILE_GROUPS", "aggregate_with_rollups"]

#: Whole-day requests from which :func:`aggregate_with_rollups` reads the rollups.
DEFAULT_THRESHOLD = 100_000
#: A report grouped by user, key or tag from the rollups reads the latency histograms of its
#: costliest groups only (thousands of users would mean a million histogram rows); the
#: others report their exact totals and average latency, and 0.0 percentiles.
SCOPE_PERCENTILE_GROUPS = 50

_SUMS = ("requests", "failed", "refused", "unpriced", *_TOKENS, "reasoning_tokens", "latency_sum")


def _hourly_sums() -> dict[str, Any]:
    """The sums of ``write._record_sums``, computed from the hourly rollup."""
    return {
        "s_requests": Sum("requests"),
        "s_failed": Sum("failed"),
        "s_refused": Sum("refused"),
        "s_unpriced": Sum("unpriced"),
        "s_cost": Sum("cost_usd"),
        **{f"s_{name}": Sum(name) for name in (*_TOKENS, "reasoning_tokens")},
        "s_latency_sum": Sum("latency_sum_ms"),
    }


@dataclass
class _Sums:
    """Exact running totals of one group, from rollup rows and record groups alike."""

    values: dict[str, Any] = field(default_factory=lambda: dict.fromkeys(_SUMS, 0))
    cost: Decimal = Decimal(0)
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    def add(self, row: dict[str, Any]) -> None:
        for name in _SUMS:
            self.values[name] += row[f"s_{name}"] or 0
        self.cost += row["s_cost"] or Decimal(0)

    def breakdown(self, key: str, *, percentiles: bool = True) -> Breakdown:
        requests = self.values["requests"]
        p50, p95, p99 = (
            (self.latency.percentile(q) or 0.0) if percentiles else 0.0 for q in PERCENTILES
        )
        return Breakdown(
            key=key,
            requests=requests,
            failed=self.values["failed"],
            input_tokens=self.values["input_tokens"],
            cache_read_tokens=self.values["cache_read_tokens"],
            cache_write_tokens=self.values["cache_write_tokens"],
            output_tokens=self.values["output_tokens"],
            reasoning_tokens=self.values["reasoning_tokens"],
            cost_usd=Decimal(self.cost),
            unpriced_requests=self.values["unpriced"],
            latency_avg_ms=float(self.values["latency_sum"]) / requests if requests else 0.0,
            latency_p50_ms=p50,
            latency_p95_ms=p95,
            latency_p99_ms=p99,
            refused=self.values["refused"],
        )


def _edge_field(kind: ScopeKind) -> str:
    # A partial day's records group by tag through their tags text, split in Python: a
    # handful of tag combinations, where a join to the tag rows would read every tag.
    return "tags" if kind == "tag" else SCOPE_FIELDS[kind]


def _edge_values(kind: ScopeKind, value: str) -> list[str]:
    return [tag for tag in value.split(",") if tag] if kind == "tag" else [value]


@dataclass
class _Report:
    """What the rollups and the edge records add up to."""

    total: _Sums = field(default_factory=_Sums)
    providers: dict[str, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    models: dict[str, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    tenants: dict[str, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    series: dict[dt.datetime, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    ttft: LatencyHistogram = field(default_factory=LatencyHistogram)
    #: The query's ``group_by`` and its groups (user, key or tag values).
    group_by: ScopeKind | None = None
    scopes: dict[str, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    #: The groups whose latency percentiles are read (``None``: every group).
    percentile_groups: set[str] | None = None

    def add_group(self, row: dict[str, Any]) -> None:
        self.total.add(row)
        self.providers[row["provider"]].add(row)
        self.models[f"{row['provider']}/{row['model']}"].add(row)
        self.tenants[row["tenant_id"]].add(row)

    def add_histogram(self, dimension: str, key: str, bucket: int, count: int) -> None:
        if dimension == "ttft":
            self.ttft.add_bucket(bucket, count)
        elif dimension == "tenant":
            self.tenants[key].latency.add_bucket(bucket, count)
        elif dimension in SCOPE_FIELDS:
            if dimension == self.group_by:
                self.scopes[key].latency.add_bucket(bucket, count)
        else:
            self.models[key].latency.add_bucket(bucket, count)
            self.providers[key.partition("/")[0]].latency.add_bucket(bucket, count)
            self.total.latency.add_bucket(bucket, count)

    def add_records(
        self,
        records: QuerySet[LLMUsageRecord],
        granularity: str,
        window: tuple[dt.datetime, dt.datetime] | None = None,
    ) -> None:
        """Add the records of a partial day: sums by group and bucket, and histograms."""
        sums = _record_sums()
        for row in records.values("tenant_id", "provider", "model").annotate(**sums):
            self.add_group(row)
        bucketed = records.annotate(_start=_trunc("created", granularity))
        for row in bucketed.values("_start").annotate(**sums):
            self.series[_as_utc(row["_start"])].add(row)
        if self.group_by is not None:
            name = _edge_field(self.group_by)
            for row in records.values(name).annotate(**sums):
                for value in _edge_values(self.group_by, row[name]):
                    self.scopes[value].add(row)
        # The group's histograms wait for add_scope_histograms: only the costliest groups'.
        for dimension, key, values in _histogram_sources(records, (), window):
            for row in values.values(*key, "_bucket").annotate(n=Count("id")):
                name = "/".join(row[part] for part in key)
                self.add_histogram(dimension, name, row["_bucket"], row["n"])

    def add_scope_histograms(
        self,
        using: str,
        edges: list[tuple[QuerySet[LLMUsageRecord], tuple[dt.datetime, dt.datetime]]],
        start: dt.datetime,
        end: dt.datetime,
    ) -> None:
        """The latency histograms of the costliest groups (their sums are all added)."""
        kind = self.group_by
        if kind is None:
            return
        costliest = sorted(
            self.scopes,
            key=lambda value: (self.scopes[value].cost, self.scopes[value].values["requests"]),
            reverse=True,
        )[:SCOPE_PERCENTILE_GROUPS]
        self.percentile_groups = set(costliest)
        name = _edge_field(kind)
        wanted = set(costliest)
        for records, _ in edges:
            bucketed = records.annotate(_bucket=_bucket_expression("latency_ms"))
            if kind != "tag":
                bucketed = bucketed.filter(**{f"{name}__in": costliest})
            for row in bucketed.values(name, "_bucket").annotate(n=Count("id")):
                for value in _edge_values(kind, row[name]):
                    if value in wanted:
                        self.add_histogram(kind, value, row["_bucket"], row["n"])
        for key, bucket, count in (
            LLMLatencyHistogram.objects.using(using)
            .filter(dimension=kind, day__gte=start.date(), day__lt=end.date(), key__in=costliest)
            .values("key", "bucket")
            .annotate(n=Sum("count"))
            .order_by()
            .values_list("key", "bucket", "n")
        ):
            self.add_histogram(kind, key, bucket, count)

    def add_rollups(
        self, using: str, start: dt.datetime, end: dt.datetime, granularity: str
    ) -> None:
        """Add the rollups of the whole days from ``start`` to ``end``."""
        hours = LLMUsageHourly.objects.using(using).filter(
            hour__gte=_db_datetime(start), hour__lt=_db_datetime(end)
        )
        sums = _hourly_sums()
        for row in hours.values("tenant_id", "provider", "model").annotate(**sums).order_by():
            self.add_group(row)
        bucketed = hours.annotate(_start=_trunc("hour", granularity))
        for row in bucketed.values("_start").annotate(**sums).order_by():
            self.series[_as_utc(row["_start"])].add(row)
        if self.group_by is not None:
            scoped = LLMUsageScopeDaily.objects.using(using).filter(
                kind=self.group_by, day__gte=start.date(), day__lt=end.date()
            )
            for row in scoped.values("value").annotate(**sums).order_by():
                self.scopes[row["value"]].add(row)
        for dimension, key, bucket, count in (
            LLMLatencyHistogram.objects.using(using)
            .filter(
                dimension__in=["model", "tenant", "ttft"],
                day__gte=start.date(),
                day__lt=end.date(),
            )
            .values("dimension", "key", "bucket")
            .annotate(n=Sum("count"))
            .order_by()
            .values_list("dimension", "key", "bucket", "n")
        ):
            self.add_histogram(dimension, key, bucket, count)

    def metrics(self, query: MetricsQuery) -> AggregatedMetrics:
        overall = self.total.breakdown("")
        return AggregatedMetrics.from_overall(
            query,
            overall,
            ttft_p50_ms=self.ttft.percentile(0.5),
            ttft_p95_ms=self.ttft.percentile(0.95),
            by_provider={k: v.breakdown(k) for k, v in sorted(self.providers.items())},
            by_model={k: v.breakdown(k) for k, v in sorted(self.models.items())},
            by_tenant={k: v.breakdown(k) for k, v in sorted(self.tenants.items())},
            by_scope={
                k: v.breakdown(
                    k, percentiles=self.percentile_groups is None or k in self.percentile_groups
                )
                for k, v in sorted(self.scopes.items())
            },
            time_series=[
                TimeBucket(
                    start=start,
                    requests=group.values["requests"],
                    failed=group.values["failed"],
                    total_tokens=sum(group.values[name] for name in _TOKENS),
                    cost_usd=Decimal(group.cost),
                    latency_avg_ms=float(group.values["latency_sum"]) / group.values["requests"],
                )
                for start, group in sorted(self.series.items())
                if group.values["requests"]
            ],
            percentiles_estimated=True,
        )


def aggregate_with_rollups(
    queryset: QuerySet[LLMUsageRecord],
    query: MetricsQuery,
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> AggregatedMetrics | None:
    """``query`` from the rollups, or ``None`` when it should read the records instead.

    The rollups answer when ``queryset`` and ``query`` filter nothing but the window (a
    ``group_by`` is answered from :class:`~netrun.llm.models.LLMUsageScopeDaily`), the
    database keeps rollups, and the window's whole UTC days hold at least ``threshold``
    requests (``threshold=0``: whenever there is a whole day). The partial days at either
    end are read from the records, so the window is honoured to the microsecond.
    """
    using = queryset.db
    if (
        query.tenant_id is not None
        or query.provider is not None
        or query.model is not None
        or query.scope_filtered
        or queryset.query.where
        or not supports_rollups(using)
    ):
        return None
    start = _day_start(query.since)
    if start < _as_utc(query.since):
        start += dt.timedelta(days=1)
    end = _day_start(query.until)
    if end <= start:
        return None
    if threshold:
        held = (
            LLMUsageHourly.objects.using(using)
            .filter(hour__gte=_db_datetime(start), hour__lt=_db_datetime(end))
            .aggregate(n=Sum("requests"))["n"]
        )
        if (held or 0) < threshold:
            return None
    report = _Report(group_by=query.group_by)
    records = queryset.order_by()
    edges = [
        (
            records.filter(
                created__gte=_db_datetime(edge_start), created__lt=_db_datetime(edge_end)
            ),
            (edge_start, edge_end),
        )
        for edge_start, edge_end in ((query.since, start), (end, query.until))
        if edge_start < edge_end
    ]
    for edge, window in edges:
        report.add_records(edge, query.granularity, window)
    report.add_rollups(using, start, end, query.granularity)
    report.add_scope_histograms(using, edges, start, end)
    return report.metrics(query)
