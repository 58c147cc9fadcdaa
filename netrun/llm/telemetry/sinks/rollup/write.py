"""Adding to the rollups as records land, and rebuilding them from the records.

:func:`record_rollups` adds a flushed batch in the database sink's transaction, with
``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` upserts, so processes flushing at
once add up instead of overwriting. :func:`rebuild_rollups` recomputes whole days from the
records. The SQL helpers here serve :mod:`~netrun.llm.telemetry.sinks.rollup.read` too.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, F, FloatField, IntegerField, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Ceil, Greatest, Ln, Trunc
from django.utils import timezone

from netrun.llm.telemetry.aggregation import HISTOGRAM_FLOOR_MS, LN_GAMMA, histogram_bucket
from netrun.llm.telemetry_models import LLMLatencyHistogram, LLMUsageHourly, LLMUsageRecord

__all__ = ["rebuild_rollups", "record_rollups", "supports_rollups"]

_UTC = dt.timezone.utc
_VENDORS = ("postgresql", "sqlite")
#: Rows per upsert statement (SQLite allows 32,766 parameters; 14 columns x 500 fits).
_CHUNK = 500
_TOKENS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
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
