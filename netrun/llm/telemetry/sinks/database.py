"""The Django glue of telemetry: rows in ``LLMUsageRecord`` and aggregates computed in SQL.

:class:`DatabaseSink` bulk-inserts each flushed batch, adds it to the rollups
(:mod:`~netrun.llm.telemetry.sinks.rollup`) in the same transaction, and answers
:meth:`TelemetryCollector.get_aggregated_metrics` with a handful of aggregate queries; rows
never travel to Python. Percentiles use PostgreSQL's ``percentile_cont`` (:class:`PercentileCont`);
on other databases (SQLite) a window query ranks the values and returns only the two rows
around each percentile's position, which are interpolated exactly like ``percentile_cont``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Abs, Least, RowNumber, Trunc
from django.utils import timezone

from netrun.core.context import tenant_context
from netrun.llm.telemetry.aggregation import PERCENTILES, interpolate
from netrun.llm.telemetry.collector import FLUSH_THREAD_NAME
from netrun.llm.telemetry.records import (
    AggregatedMetrics,
    Breakdown,
    LLMRequestMetrics,
    MetricsQuery,
    TimeBucket,
)
from netrun.llm.telemetry.sinks.rollup import (
    DEFAULT_THRESHOLD,
    aggregate_with_rollups,
    record_rollups,
)
from netrun.llm.telemetry.sinks.rollup.write import SCOPE_FIELDS, refused_q, scope_records
from netrun.llm.telemetry_models import LLMUsageRecord, LLMUsageTag

__all__ = ["DatabaseSink", "PercentileCont", "aggregate_usage", "to_row"]

_UTC = dt.timezone.utc
_TOKENS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra: Any) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        # A float rendered by repr() is a plain SQL numeric literal: nothing to inject.
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def _db_datetime(moment: dt.datetime) -> dt.datetime:
    return moment if settings.USE_TZ else timezone.make_naive(moment, _UTC)


def to_row(record: LLMRequestMetrics) -> LLMUsageRecord:
    """The unsaved row of a record (text fields cut to their column width)."""
    return LLMUsageRecord(
        tenant_id=(record.tenant_id or "")[:64],
        user_id=(record.user_id or "")[:64],
        api_key=(record.api_key or "")[:128],
        tags=",".join(record.tags)[:600],
        provider=record.provider[:32],
        model=record.model[:128],
        operation=record.operation[:32],
        success=record.success,
        error_type=(record.error_type or "")[:64],
        latency_ms=record.latency_ms,
        ttft_ms=record.ttft_ms,
        input_tokens=record.input_tokens,
        cache_read_tokens=record.cache_read_tokens,
        cache_write_tokens=record.cache_write_tokens,
        output_tokens=record.output_tokens,
        reasoning_tokens=record.reasoning_tokens,
        cost_usd=record.cost_usd,
        correlation_id=(record.correlation_id or "")[:64],
        trace_id=(record.trace_id or "")[:32],
        created=_db_datetime(record.started),
    )


def _totals() -> dict[str, Any]:
    return {
        "requests": Count("id"),
        "failed": Count("id", filter=Q(success=False)),
        "refused": Count("id", filter=refused_q()),
        "unpriced": Count("id", filter=Q(cost_usd__isnull=True)),
        "cost": Sum("cost_usd"),
        "latency_avg": Avg("latency_ms"),
        **{name: Sum(name) for name in (*_TOKENS, "reasoning_tokens")},
    }


def _percentile_aggregates(field: str) -> dict[str, Any]:
    return {f"{field}_p{index}": PercentileCont(field, q) for index, q in enumerate(PERCENTILES)}


class _Percentiles:
    """Latency percentiles per group, by ``percentile_cont`` or by the ranked-rows fallback."""

    def __init__(self, queryset: QuerySet[LLMUsageRecord]) -> None:
        self.native = connections[queryset.db].vendor == "postgresql"
        self.queryset = queryset

    def ranked(
        self, field: str, group: Sequence[str], fractions: Sequence[float] = PERCENTILES
    ) -> dict[tuple[Any, ...], list[float]]:
        """``{group values: [value at each fraction]}``, reading two rows per fraction."""
        partition = [F(name) for name in group] or None
        rows = (
            self.queryset.filter(**{f"{field}__isnull": False})
            .annotate(
                _rank=Window(RowNumber(), partition_by=partition, order_by=F(field).asc()),
                _count=Window(Count("id"), partition_by=partition),
            )
            .annotate(
                # Distance of this row's 0-based rank from the nearest percentile position;
                # percentile_cont interpolates the rows at floor(pos) and floor(pos) + 1,
                # which are exactly the rows nearer than 1.
                _near=Least(
                    *(
                        Abs(F("_rank") - 1 - Value(q) * (F("_count") - 1))
                        for q in (*fractions, fractions[-1])
                    ),
                    output_field=FloatField(),
                )
            )
            .filter(_near__lt=1)
            .values_list(*group, "_rank", "_count", field)
        )
        ranked: dict[tuple[Any, ...], tuple[int, dict[int, float]]] = {}
        for *key, rank, count, value in rows:
            ranked.setdefault(tuple(key), (count, {}))[1][rank - 1] = value
        return {
            key: [interpolate(count, q, values) for q in fractions]
            for key, (count, values) in ranked.items()
        }


def _breakdown(key: str, row: dict[str, Any], percentiles: Sequence[float] | None) -> Breakdown:
    p50, p95, p99 = percentiles or (0.0, 0.0, 0.0)
    return Breakdown(
        key=key,
        requests=row["requests"],
        failed=row["failed"],
        input_tokens=row["input_tokens"] or 0,
        cache_read_tokens=row["cache_read_tokens"] or 0,
        cache_write_tokens=row["cache_write_tokens"] or 0,
        output_tokens=row["output_tokens"] or 0,
        reasoning_tokens=row["reasoning_tokens"] or 0,
        cost_usd=row["cost"] if row["cost"] is not None else Decimal(0),
        unpriced_requests=row["unpriced"],
        latency_avg_ms=float(row["latency_avg"] or 0.0),
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        latency_p99_ms=p99,
        refused=row["refused"],
    )


def _grouped(
    base: QuerySet[LLMUsageRecord], percentiles: _Percentiles, group: Sequence[str]
) -> Iterable[tuple[tuple[Any, ...], dict[str, Any], list[float] | None]]:
    aggregates = _totals()
    if percentiles.native:
        aggregates.update(_percentile_aggregates("latency_ms"))
    rows = base.values(*group).annotate(**aggregates).order_by(*group)
    fallback = None if percentiles.native else percentiles.ranked("latency_ms", group)
    for row in rows:
        key = tuple(row[name] for name in group)
        if fallback is None:
            values = [row[f"latency_ms_p{index}"] for index in range(len(PERCENTILES))]
        else:
            values = fallback.get(key, [0.0, 0.0, 0.0])
        yield key, row, values


def aggregate_usage(
    queryset: QuerySet[LLMUsageRecord],
    query: MetricsQuery,
    *,
    rollup_threshold: int | None = DEFAULT_THRESHOLD,
) -> AggregatedMetrics:
    """``query`` over ``queryset``'s rows, computed by the database.

    An unfiltered window whose whole UTC days hold ``rollup_threshold`` requests or more is
    read from the rollups (:mod:`netrun.llm.telemetry.sinks.rollup`: exact totals,
    percentiles within 1%); ``rollup_threshold=None`` always reads the records.
    """
    if rollup_threshold is not None:
        rolled = aggregate_with_rollups(queryset, query, threshold=rollup_threshold)
        if rolled is not None:
            return rolled
    base = queryset.filter(
        created__gte=_db_datetime(query.since), created__lt=_db_datetime(query.until)
    ).order_by()
    if query.tenant_id is not None:
        base = base.filter(tenant_id=query.tenant_id)
    if query.provider is not None:
        base = base.filter(provider=query.provider)
    if query.model is not None:
        base = base.filter(model=query.model)
    if query.user_id is not None:
        base = base.filter(user_id=query.user_id)
    if query.api_key is not None:
        base = base.filter(api_key=query.api_key)
    if query.tag is not None:
        base = base.filter(
            pk__in=LLMUsageTag.objects.using(base.db).filter(tag=query.tag).values("record_id")
        )
    percentiles = _Percentiles(base)

    aggregates = _totals()
    if percentiles.native:
        aggregates.update(_percentile_aggregates("latency_ms"))
        aggregates["ttft_p50"] = PercentileCont("ttft_ms", 0.5)
        aggregates["ttft_p95"] = PercentileCont("ttft_ms", 0.95)
    totals = base.aggregate(**aggregates)
    if percentiles.native:
        latency = [totals[f"latency_ms_p{index}"] for index in range(len(PERCENTILES))]
        ttft = [totals["ttft_p50"], totals["ttft_p95"]]
    else:
        latency = percentiles.ranked("latency_ms", ()).get((), [0.0, 0.0, 0.0])
        ttft = percentiles.ranked("ttft_ms", (), (0.5, 0.95)).get((), [None, None])
    overall = _breakdown("", totals, [value or 0.0 for value in latency])

    trunc = Trunc("created", query.granularity, tzinfo=_UTC if settings.USE_TZ else None)
    series = base.annotate(bucket=trunc).values("bucket").annotate(**_totals()).order_by("bucket")
    by_scope: dict[str, Breakdown] = {}
    if query.group_by is not None:
        scoped = scope_records(base, query.group_by, (query.since, query.until))
        name = SCOPE_FIELDS[query.group_by]
        for key, row, values in _grouped(scoped, _Percentiles(scoped), (name,)):
            by_scope[key[0]] = _breakdown(key[0], row, values)
    return AggregatedMetrics.from_overall(
        query,
        overall,
        ttft_p50_ms=ttft[0],
        ttft_p95_ms=ttft[1],
        by_provider={
            key[0]: _breakdown(key[0], row, values)
            for key, row, values in _grouped(base, percentiles, ("provider",))
        },
        by_model={
            f"{key[0]}/{key[1]}": _breakdown(f"{key[0]}/{key[1]}", row, values)
            for key, row, values in _grouped(base, percentiles, ("provider", "model"))
        },
        by_tenant={
            key[0]: _breakdown(key[0], row, values)
            for key, row, values in _grouped(base, percentiles, ("tenant_id",))
        },
        by_scope=by_scope,
        time_series=[
            TimeBucket(
                start=_aware(row["bucket"]),
                requests=row["requests"],
                failed=row["failed"],
                total_tokens=sum(row[name] or 0 for name in _TOKENS),
                cost_usd=row["cost"] if row["cost"] is not None else Decimal(0),
                latency_avg_ms=float(row["latency_avg"] or 0.0),
            )
            for row in series
        ],
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=_UTC)


def _tenant_scope(tenant_id: str, using: str) -> AbstractContextManager[object]:
    """Bind ``tenant_id`` for a write; rows without a tenant go through ``cross_tenant()``.

    Only on netrun's row-level security backend with a cross-tenant role configured: there,
    nothing else may write a row that belongs to no tenant.
    """
    if tenant_id:
        return tenant_context(tenant_id)
    if hasattr(connections[using], "netrun_sync_tenant"):
        from netrun.rbac.conf import conf as rbac_conf
        from netrun.rbac.db import cross_tenant

        if rbac_conf.rls_cross_tenant_role:
            return cross_tenant(reason="llm telemetry without a tenant", using=using)
    return tenant_context(None)


class DatabaseSink:
    """Writes records as :class:`~netrun.llm.telemetry_models.LLMUsageRecord` rows.

    ``using`` names the database alias. The flush thread's connection is closed after each
    batch, so a process keeps no idle connection open for telemetry between flushes.
    """

    name = "database"

    def __init__(self, using: str = "default", batch_size: int = 500) -> None:
        self.using = using
        self.batch_size = batch_size

    def queryset(self) -> QuerySet[LLMUsageRecord]:
        queryset: QuerySet[LLMUsageRecord] = LLMUsageRecord.objects.using(self.using)
        return queryset

    def write(self, records: Sequence[LLMRequestMetrics]) -> None:
        try:
            rows = [to_row(record) for record in records]
            groups: dict[str, list[LLMUsageRecord]] = {}
            for row in rows:
                groups.setdefault(row.tenant_id, []).append(row)
            with transaction.atomic(using=self.using):
                # One tenant at a time, bound: under PostgreSQL row-level security the flush
                # thread may only write the rows of the tenant its session names.
                for tenant_id, group in groups.items():
                    with _tenant_scope(tenant_id, self.using):
                        self.queryset().bulk_create(group, batch_size=self.batch_size)
                        self._write_tags(group)
                        record_rollups(group, using=self.using)
        finally:
            if threading.current_thread().name == FLUSH_THREAD_NAME:
                connections[self.using].close()

    def _write_tags(self, rows: Sequence[LLMUsageRecord]) -> None:
        """One :class:`LLMUsageTag` per tag of each row just inserted.

        The rows' keys come back from the insert on PostgreSQL, SQLite 3.35+ and MariaDB
        10.5+; elsewhere the tags stay in the records' ``tags`` text only.
        """
        tags = [
            LLMUsageTag(record_id=row.pk, tenant_id=row.tenant_id, tag=tag, created=row.created)
            for row in rows
            if row.tags and row.pk is not None
            for tag in row.tags.split(",")
        ]
        if tags:
            LLMUsageTag.objects.using(self.using).bulk_create(tags, batch_size=self.batch_size)

    def aggregate(self, query: MetricsQuery) -> AggregatedMetrics:
        return aggregate_usage(self.queryset(), query)
