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
from netrun.llm.telemetry.records import (
    REFUSAL_PREFIXES,
    SCOPE_KINDS,
    UNRULED_REFUSALS,
    ScopeKind,
    is_refusal,
)
from netrun.llm.telemetry_models import (
    LLMLatencyHistogram,
    LLMUsageHourly,
    LLMUsageRecord,
    LLMUsageScopeDaily,
)

__all__ = ["rebuild_rollups", "record_rollups", "supports_rollups"]

_UTC = dt.timezone.utc
_VENDORS = ("postgresql", "sqlite")
#: Rows per upsert statement (SQLite allows 32,766 parameters; 14 columns x 500 fits).
_CHUNK = 500
_TOKENS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
_HOURLY_ADDED = (
    "requests",
    "failed",
    "refused",
    "unpriced",
    "cost_usd",
    *_TOKENS,
    "reasoning_tokens",
    "latency_sum_ms",
)
#: Where ``cost_usd`` sits in a row of sums (the one Decimal).
_COST = 4
#: The record field (or relation) each scope kind groups by.
SCOPE_FIELDS: dict[ScopeKind, str] = {"user": "user_id", "key": "api_key", "tag": "tag_rows__tag"}

_Sums = list[Any]
_HourlyKey = tuple[dt.datetime, str, str, str]
_ScopeKey = tuple[dt.date, str, str, str]


def refused_q() -> Q:
    """The records :func:`~netrun.llm.telemetry.records.is_refusal` counts, in SQL."""
    condition = Q(error_type__in=UNRULED_REFUSALS)
    for prefix in REFUSAL_PREFIXES:
        condition |= Q(error_type__startswith=prefix)
    return condition


def _new_sums() -> _Sums:
    return [0, 0, 0, 0, Decimal(0), 0, 0, 0, 0, 0, 0.0]


def _add_row(sums: _Sums, row: LLMUsageRecord) -> None:
    sums[0] += 1
    sums[1] += not row.success
    sums[2] += is_refusal(row.error_type)
    if row.cost_usd is None:
        sums[3] += 1
    else:
        sums[_COST] += row.cost_usd
    for index, name in enumerate((*_TOKENS, "reasoning_tokens"), start=_COST + 1):
        sums[index] += getattr(row, name)
    sums[10] += row.latency_ms


def row_scopes(row: LLMUsageRecord) -> list[tuple[ScopeKind, str]]:
    """The user (``""``: none), the API key (``""``: none) and each tag of a record."""
    found: list[tuple[ScopeKind, str]] = [("user", row.user_id), ("key", row.api_key)]
    found.extend(("tag", tag) for tag in row.tags.split(",") if tag)
    return found


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
    hourly: dict[_HourlyKey, _Sums],
    histograms: dict[tuple[dt.date, str, str, int], int],
    scopes: dict[_ScopeKey, _Sums] | None = None,
) -> None:
    ops = connections[using].ops
    for table, keys, groups, when in (
        (
            LLMUsageHourly._meta.db_table,
            ("hour", "tenant_id", "provider", "model"),
            hourly,
            lambda hour: ops.adapt_datetimefield_value(_db_datetime(hour)),
        ),
        (
            LLMUsageScopeDaily._meta.db_table,
            ("day", "tenant_id", "kind", "value"),
            scopes,
            ops.adapt_datefield_value,
        ),
    ):
        _upsert(
            using,
            table,
            keys,
            _HOURLY_ADDED,
            [
                [
                    when(moment),
                    tenant,
                    first,
                    second,
                    *sums[:_COST],
                    ops.adapt_decimalfield_value(sums[_COST], 24, 10),
                    *sums[_COST + 1 :],
                ]
                for (moment, tenant, first, second), sums in (groups or {}).items()
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
    hourly: dict[_HourlyKey, _Sums] = {}
    scopes: dict[_ScopeKey, _Sums] = {}
    histograms: dict[tuple[dt.date, str, str, int], int] = defaultdict(int)
    for row in rows:
        created = _as_utc(row.created)
        hour = _hour(created)
        day = created.date()
        key = (hour, row.tenant_id, row.provider, row.model)
        sums = hourly.get(key)
        if sums is None:
            sums = hourly[key] = _new_sums()
        _add_row(sums, row)
        bucket = histogram_bucket(row.latency_ms)
        histograms[(day, "model", f"{row.provider}/{row.model}", bucket)] += 1
        histograms[(day, "tenant", row.tenant_id, bucket)] += 1
        for kind, value in row_scopes(row):
            scope_key = (day, row.tenant_id, kind, value)
            sums = scopes.get(scope_key)
            if sums is None:
                sums = scopes[scope_key] = _new_sums()
            _add_row(sums, row)
            histograms[(day, kind, value, bucket)] += 1
        if row.ttft_ms is not None:
            histograms[(day, "ttft", "", histogram_bucket(row.ttft_ms))] += 1
    _write(using, hourly, histograms, scopes)


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
    hourly: dict[_HourlyKey, _Sums] = {}
    total = 0
    for row in (
        window.order_by()
        .annotate(_hour=_trunc("created", "hour"))
        .values("_hour", "tenant_id", "provider", "model")
        .annotate(**_record_sums())
    ):
        total += row["s_requests"]
        hourly[(_as_utc(row["_hour"]), row["tenant_id"], row["provider"], row["model"])] = _sums_of(
            row
        )
    scopes: dict[_ScopeKey, _Sums] = {}
    for kind in SCOPE_KINDS:
        field = SCOPE_FIELDS[kind]
        for row in (
            scope_records(window, kind, (start, end))
            .annotate(_day=_trunc("created", "day"))
            .values("_day", "tenant_id", field)
            .annotate(**_record_sums())
        ):
            scopes[(_as_utc(row["_day"]).date(), row["tenant_id"], kind, row[field])] = _sums_of(
                row
            )
    histograms: dict[tuple[dt.date, str, str, int], int] = {}
    for dimension, key, value in _histogram_sources(window, SCOPE_KINDS, (start, end)):
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
        LLMUsageScopeDaily.objects.using(using).filter(
            day__gte=start.date(), day__lt=end.date()
        ).delete()
        LLMLatencyHistogram.objects.using(using).filter(
            day__gte=start.date(), day__lt=end.date()
        ).delete()
        _write(using, hourly, histograms, scopes)
    return total


def _sums_of(row: dict[str, Any]) -> _Sums:
    """A row of :func:`_record_sums` as a row of sums."""
    return [
        row["s_requests"],
        row["s_failed"],
        row["s_refused"],
        row["s_unpriced"],
        row["s_cost"] or Decimal(0),
        *(row[f"s_{name}"] or 0 for name in (*_TOKENS, "reasoning_tokens")),
        row["s_latency_sum"] or 0.0,
    ]


def scope_records(
    records: QuerySet[LLMUsageRecord],
    kind: ScopeKind,
    window: tuple[dt.datetime, dt.datetime] | None = None,
) -> QuerySet[LLMUsageRecord]:
    """``records`` ready to group by ``kind``: for tags, one row per record and tag.

    ``window``, the records' own ``since``/``until``, is applied to the tags' ``created``
    too, so the database reads the window's tags by index instead of every tag.
    """
    ordered: QuerySet[LLMUsageRecord] = records.order_by()
    if kind != "tag":
        return ordered
    if window is None:
        tagged: QuerySet[LLMUsageRecord] = ordered.filter(tag_rows__isnull=False)
    else:
        tagged = ordered.filter(
            tag_rows__created__gte=_db_datetime(window[0]),
            tag_rows__created__lt=_db_datetime(window[1]),
        )
    return tagged


def _record_sums() -> dict[str, Any]:
    """The hourly rollup's sums, computed from records."""
    return {
        "s_requests": Count("id"),
        "s_failed": Count("id", filter=Q(success=False)),
        "s_refused": Count("id", filter=refused_q()),
        "s_unpriced": Count("id", filter=Q(cost_usd__isnull=True)),
        "s_cost": Sum("cost_usd"),
        **{f"s_{name}": Sum(name) for name in (*_TOKENS, "reasoning_tokens")},
        "s_latency_sum": Sum("latency_ms"),
    }


def _histogram_sources(
    records: QuerySet[LLMUsageRecord],
    scopes: Sequence[ScopeKind] = SCOPE_KINDS,
    window: tuple[dt.datetime, dt.datetime] | None = None,
) -> list[tuple[str, tuple[str, ...], QuerySet[LLMUsageRecord]]]:
    """``(dimension, key fields, records with a _bucket)`` for each histogram kept: by model,
    tenant and time to first token, and by each of ``scopes``."""
    latency = records.order_by().annotate(_bucket=_bucket_expression("latency_ms"))
    by_scope = [
        (
            kind,
            (SCOPE_FIELDS[kind],),
            scope_records(records, kind, window).annotate(_bucket=_bucket_expression("latency_ms")),
        )
        for kind in scopes
    ]
    ttft = (
        records.order_by()
        .filter(ttft_ms__isnull=False)
        .annotate(_bucket=_bucket_expression("ttft_ms"))
    )
    return [
        ("model", ("provider", "model"), latency),
        ("tenant", ("tenant_id",), latency),
        ("ttft", (), ttft),
        *by_scope,
    ]
