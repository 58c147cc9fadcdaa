"""Rollups of ``LLMUsageRecord``: hourly totals and daily latency histograms, kept as records land.

Reports over a large window would otherwise read every record: five aggregate passes, three
of them sorting per group for ``percentile_cont``, take seconds over a million rows. The
database sink therefore also adds each flushed batch, in the same transaction, to

* ``LLMUsageHourly``: exact counts, tokens, cost and latency sums per hour (UTC), tenant,
  provider and model;
* ``LLMLatencyHistogram``: per day (UTC), a logarithmic latency histogram per
  provider/model and per tenant, and one of time to first token
  (:class:`~netrun.llm.telemetry.aggregation.LatencyHistogram`: any percentile within 1%).

The additions are ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` upserts, so
processes flushing at once add up instead of overwriting. PostgreSQL and SQLite are
supported; on other databases no rollup is written and reports read the records.

:func:`aggregate_with_rollups` answers an unfiltered query whose whole UTC days hold at least
``threshold`` requests: the whole days from the rollups, the partial days at either end from
the records. Totals, breakdowns and the time series are exact; percentiles come from the
histograms (``AggregatedMetrics.percentiles_estimated``). Smaller or filtered queries keep
the exact path. :func:`rebuild_rollups` recomputes the rollups of whole days from the records,
for records that did not come through the sink (a bulk import, a restore); migration 0004
runs it once over the records already there.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, F, FloatField, IntegerField, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Ceil, Greatest, Ln, Trunc
from django.utils import timezone

from netrun.llm.telemetry.aggregation import (
    HISTOGRAM_FLOOR_MS,
    LN_GAMMA,
    PERCENTILES,
    LatencyHistogram,
    histogram_bucket,
)
from netrun.llm.telemetry.records import AggregatedMetrics, Breakdown, MetricsQuery, TimeBucket
from netrun.llm.telemetry_models import LLMLatencyHistogram, LLMUsageHourly, LLMUsageRecord

__all__ = [
    "DEFAULT_THRESHOLD",
    "aggregate_with_rollups",
    "rebuild_rollups",
    "record_rollups",
    "supports_rollups",
]

#: Whole-day requests from which :func:`aggregate_with_rollups` reads the rollups.
DEFAULT_THRESHOLD = 100_000

_UTC = dt.timezone.utc
_VENDORS = ("postgresql", "sqlite")
#: Rows per upsert statement (SQLite allows 32,766 parameters; 14 columns x 500 fits).
_CHUNK = 500
_TOKENS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
_SUMS = ("requests", "failed", "unpriced", *_TOKENS, "reasoning_tokens", "latency_sum")
_HOURLY_ADDED = (
    "requests",
    "failed",
    "unpriced",
    "cost_usd",
    *_TOKENS,
    "reasoning_tokens",
    "latency_sum_ms",
)


def supports_rollups(using: str) -> bool:
    """Whether rollups are kept on the database ``using`` (PostgreSQL and SQLite)."""
    return connections[using].vendor in _VENDORS


# ----------------------------------------------------------------------------- writing


def _hour(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(_UTC) if timezone.is_aware(moment) else moment.replace(tzinfo=_UTC)


def _db_datetime(moment: dt.datetime) -> dt.datetime:
    moment = _as_utc(moment)
    return moment if settings.USE_TZ else timezone.make_naive(moment, _UTC)


def _upsert(
    using: str, table: str, keys: Sequence[str], added: Sequence[str], rows: list[list[Any]]
) -> None:
    """Add ``rows`` to ``table``: one multi-row upsert per :data:`_CHUNK` rows.

    Keys are unique within ``rows`` (they come from a dict), which a multi-row
    ``ON CONFLICT DO UPDATE`` requires.
    """
    if not rows:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = [*keys, *added]
    placeholder = f"({', '.join(['%s'] * len(columns))})"
    update = ", ".join(
        f"{quote(c)} = {quote(table)}.{quote(c)} + EXCLUDED.{quote(c)}" for c in added
    )
    # Sorted, so two processes adding overlapping batches lock rows in the same order.
    rows.sort(key=lambda row: tuple(str(value) for value in row[: len(keys)]))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
                f"VALUES {', '.join([placeholder] * len(chunk))} "
                f"ON CONFLICT ({', '.join(map(quote, keys))}) DO UPDATE SET {update}",
                [value for row in chunk for value in row],
            )


def _write(
    using: str,
    hourly: dict[tuple[dt.datetime, str, str, str], list[Any]],
    histograms: dict[tuple[dt.date, str, str, int], int],
) -> None:
    ops = connections[using].ops
    _upsert(
        using,
        LLMUsageHourly._meta.db_table,
        ("hour", "tenant_id", "provider", "model"),
        _HOURLY_ADDED,
        [
            [
                ops.adapt_datetimefield_value(_db_datetime(hour)),
                tenant,
                provider,
                model,
                *sums[:3],
                ops.adapt_decimalfield_value(sums[3], 24, 10),
                *sums[4:],
            ]
            for (hour, tenant, provider, model), sums in hourly.items()
        ],
    )
    _upsert(
        using,
        LLMLatencyHistogram._meta.db_table,
        ("day", "dimension", "key", "bucket"),
        ("count",),
        [
            [ops.adapt_datefield_value(day), dimension, key, bucket, count]
            for (day, dimension, key, bucket), count in histograms.items()
        ],
    )


def record_rollups(rows: Iterable[LLMUsageRecord], using: str = "default") -> None:
    """Add ``rows`` (just inserted) to the rollups; call inside the inserting transaction."""
    if not supports_rollups(using):
        return
    hourly: dict[tuple[dt.datetime, str, str, str], list[Any]] = {}
    histograms: dict[tuple[dt.date, str, str, int], int] = defaultdict(int)
    for row in rows:
        created = _as_utc(row.created)
        sums = hourly.setdefault(
            (_hour(created), row.tenant_id, row.provider, row.model),
            [0, 0, 0, Decimal(0), 0, 0, 0, 0, 0, 0.0],
        )
        sums[0] += 1
        sums[1] += not row.success
        if row.cost_usd is None:
            sums[2] += 1
        else:
            sums[3] += row.cost_usd
        for index, name in enumerate((*_TOKENS, "reasoning_tokens"), start=4):
            sums[index] += getattr(row, name)
        sums[9] += row.latency_ms
        day = created.date()
        bucket = histogram_bucket(row.latency_ms)
        histograms[(day, "model", f"{row.provider}/{row.model}", bucket)] += 1
        histograms[(day, "tenant", row.tenant_id, bucket)] += 1
        if row.ttft_ms is not None:
            histograms[(day, "ttft", "", histogram_bucket(row.ttft_ms))] += 1
    _write(using, hourly, histograms)


def _bucket_expression(name: str) -> Cast:
    """:func:`histogram_bucket` in SQL."""
    return Cast(
        Ceil(
            Ln(Greatest(F(name), Value(HISTOGRAM_FLOOR_MS), output_field=FloatField()))
            / Value(LN_GAMMA, output_field=FloatField())
        ),
        IntegerField(),
    )


def _trunc(name: str, kind: str) -> Trunc:
    return Trunc(name, kind, tzinfo=_UTC if settings.USE_TZ else None)


def _day_start(moment: dt.datetime) -> dt.datetime:
    return _as_utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def rebuild_rollups(
    using: str = "default", since: dt.datetime | None = None, until: dt.datetime | None = None
) -> int:
    """Recompute the rollups of the UTC days from ``since`` to ``until`` from the records.

    ``since`` is rounded down and ``until`` up to whole days; without them, every day that
    has records. Returns how many records were rolled up. The days' rollups are replaced in
    one transaction.
    """
    if not supports_rollups(using):
        return 0
    records = LLMUsageRecord.objects.using(using)
    if since is None or until is None:
        bounds = records.order_by().aggregate(first=Min("created"), last=Max("created"))
        if bounds["first"] is None:
            return 0
        since = since or bounds["first"]
        until = until or bounds["last"]
    start = _day_start(since)
    end = _day_start(until)
    if end <= _as_utc(until):
        end += dt.timedelta(days=1)
    window = records.filter(created__gte=_db_datetime(start), created__lt=_db_datetime(end))
    hourly: dict[tuple[dt.datetime, str, str, str], list[Any]] = {}
    total = 0
    for row in (
        window.order_by()
        .annotate(_hour=_trunc("created", "hour"))
        .values("_hour", "tenant_id", "provider", "model")
        .annotate(**_record_sums())
    ):
        total += row["s_requests"]
        hourly[(_as_utc(row["_hour"]), row["tenant_id"], row["provider"], row["model"])] = [
            row["s_requests"],
            row["s_failed"],
            row["s_unpriced"],
            row["s_cost"] or Decimal(0),
            *(row[f"s_{name}"] or 0 for name in (*_TOKENS, "reasoning_tokens")),
            row["s_latency_sum"] or 0.0,
        ]
    histograms: dict[tuple[dt.date, str, str, int], int] = {}
    for dimension, key, value in _histogram_sources(window):
        for row in (
            value.annotate(_day=_trunc("created", "day"))
            .values("_day", *key, "_bucket")
            .annotate(n=Count("id"))
        ):
            name = "/".join(row[part] for part in key)
            histograms[(_as_utc(row["_day"]).date(), dimension, name, row["_bucket"])] = row["n"]
    with transaction.atomic(using=using):
        LLMUsageHourly.objects.using(using).filter(
            hour__gte=_db_datetime(start), hour__lt=_db_datetime(end)
        ).delete()
        LLMLatencyHistogram.objects.using(using).filter(
            day__gte=start.date(), day__lt=end.date()
        ).delete()
        _write(using, hourly, histograms)
    return total


def _record_sums() -> dict[str, Any]:
    """The hourly rollup's sums, computed from records."""
    return {
        "s_requests": Count("id"),
        "s_failed": Count("id", filter=Q(success=False)),
        "s_unpriced": Count("id", filter=Q(cost_usd__isnull=True)),
        "s_cost": Sum("cost_usd"),
        **{f"s_{name}": Sum(name) for name in (*_TOKENS, "reasoning_tokens")},
        "s_latency_sum": Sum("latency_ms"),
    }


def _hourly_sums() -> dict[str, Any]:
    """The same sums, computed from the hourly rollup."""
    return {
        "s_requests": Sum("requests"),
        "s_failed": Sum("failed"),
        "s_unpriced": Sum("unpriced"),
        "s_cost": Sum("cost_usd"),
        **{f"s_{name}": Sum(name) for name in (*_TOKENS, "reasoning_tokens")},
        "s_latency_sum": Sum("latency_sum_ms"),
    }


def _histogram_sources(
    records: QuerySet[LLMUsageRecord],
) -> list[tuple[str, tuple[str, ...], QuerySet[LLMUsageRecord]]]:
    """``(dimension, key fields, records with a _bucket)`` for each histogram kept."""
    latency = records.order_by().annotate(_bucket=_bucket_expression("latency_ms"))
    ttft = (
        records.order_by()
        .filter(ttft_ms__isnull=False)
        .annotate(_bucket=_bucket_expression("ttft_ms"))
    )
    return [
        ("model", ("provider", "model"), latency),
        ("tenant", ("tenant_id",), latency),
        ("ttft", (), ttft),
    ]


# ----------------------------------------------------------------------------- reading


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

    def breakdown(self, key: str) -> Breakdown:
        requests = self.values["requests"]
        p50, p95, p99 = (self.latency.percentile(q) or 0.0 for q in PERCENTILES)
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
        )


@dataclass
class _Report:
    """What the rollups and the edge records add up to."""

    total: _Sums = field(default_factory=_Sums)
    providers: dict[str, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    models: dict[str, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    tenants: dict[str, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    series: dict[dt.datetime, _Sums] = field(default_factory=lambda: defaultdict(_Sums))
    ttft: LatencyHistogram = field(default_factory=LatencyHistogram)

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
        else:
            self.models[key].latency.add_bucket(bucket, count)
            self.providers[key.partition("/")[0]].latency.add_bucket(bucket, count)
            self.total.latency.add_bucket(bucket, count)

    def add_records(self, records: QuerySet[LLMUsageRecord], granularity: str) -> None:
        """Add the records of a partial day: sums by group and bucket, and histograms."""
        sums = _record_sums()
        for row in records.values("tenant_id", "provider", "model").annotate(**sums):
            self.add_group(row)
        bucketed = records.annotate(_start=_trunc("created", granularity))
        for row in bucketed.values("_start").annotate(**sums):
            self.series[_as_utc(row["_start"])].add(row)
        for dimension, key, values in _histogram_sources(records):
            for row in values.values(*key, "_bucket").annotate(n=Count("id")):
                name = "/".join(row[part] for part in key)
                self.add_histogram(dimension, name, row["_bucket"], row["n"])

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
        for dimension, key, bucket, count in (
            LLMLatencyHistogram.objects.using(using)
            .filter(day__gte=start.date(), day__lt=end.date())
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

    The rollups answer when ``queryset`` and ``query`` filter nothing but the window, the
    database keeps rollups, and the window's whole UTC days hold at least ``threshold``
    requests (``threshold=0``: whenever there is a whole day). The partial days at either
    end are read from the records, so the window is honoured to the microsecond.
    """
    using = queryset.db
    if (
        query.tenant_id is not None
        or query.provider is not None
        or query.model is not None
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
    report = _Report()
    records = queryset.order_by()
    for edge_start, edge_end in ((query.since, start), (end, query.until)):
        if edge_start < edge_end:
            report.add_records(
                records.filter(
                    created__gte=_db_datetime(edge_start), created__lt=_db_datetime(edge_end)
                ),
                query.granularity,
            )
    report.add_rollups(using, start, end, query.granularity)
    return report.metrics(query)
