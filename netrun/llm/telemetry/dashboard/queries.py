"""The dashboard's data: the query its filters ask for, tenant names, and its own ORM queries.

Totals, rates, percentiles and breakdowns come from
:func:`~netrun.llm.telemetry.sinks.database.aggregate_usage`; budgets, spend per provider and
day, failures and refusals are the grouped queries here. Refusals are the failed records
whose error type is ``policy:<rule>`` or ``budget:<rule>`` (see
:class:`~netrun.llm.client.LLMClient`). Tenants are shown by name (:func:`tenant_labels`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from netrun.llm.models import TenantPolicyRecord
from netrun.llm.telemetry.records import Granularity, MetricsQuery
from netrun.llm.telemetry_models import LLMUsageRecord, LLMUsageTag

__all__ = [
    "BudgetUse",
    "Refusal",
    "TenantBudget",
    "bucket_starts",
    "tenant_budgets",
    "tenant_choices",
    "tenant_ids_named",
    "tenant_labels",
]

_UTC = dt.timezone.utc
_MAX_DAYS = 366
_DEFAULT_DAYS = 30
# Hourly bars past a month would be thousands of SVG elements.
_MAX_HOURLY_DAYS = 31
# Failed records written before the client recorded the refusing rule.
_UNRULED_REFUSALS = {"LLM_POLICY_VIOLATION": "policy", "BUDGET_EXCEEDED": "budget"}


# ----------------------------------------------------------------------------- tenants


def tenant_labels(tenant_ids: Iterable[str]) -> dict[str, str]:
    """Each tenant ID's name to show: the tenant model's ``name`` with ``netrun.rbac``
    installed and a tenant of that primary key (UUIDs in either spelling), else the ID."""
    ids = {tenant for tenant in tenant_ids if tenant}
    labels = {tenant: tenant for tenant in ids}
    if not ids or not apps.is_installed("netrun.rbac"):
        return labels
    from netrun.rbac.swapping import get_tenant_model

    model = get_tenant_model()
    spellings: dict[Any, list[str]] = {}
    for tenant in ids:
        try:
            spellings.setdefault(model._meta.pk.to_python(tenant), []).append(tenant)
        except ValidationError:
            continue  # not a key of the tenant model: shown as it is
    if spellings:
        rows = model._default_manager.filter(pk__in=list(spellings)).values_list("pk", "name")
        for pk, name in rows:
            for tenant in spellings.get(pk, ()):
                labels[tenant] = str(name)
    return labels


def tenant_choices(limit: int = 1000) -> list[tuple[str, str]]:
    """``(id, name)`` of the active tenants, by name (none without ``netrun.rbac``)."""
    if not apps.is_installed("netrun.rbac"):
        return []
    from netrun.rbac.swapping import get_tenant_model

    rows = (
        get_tenant_model()
        ._default_manager.filter(is_active=True)
        .order_by("name")
        .values_list("pk", "name")[:limit]
    )
    return [(str(pk), str(name)) for pk, name in rows]


def _tenant_named(value: str) -> str:
    """The ID of the tenant whose slug or name is ``value`` (any case); else ``value``: the
    page names tenants, so the filter takes a name as well as an ID."""
    value = value.strip()
    if not value or not apps.is_installed("netrun.rbac"):
        return value
    from netrun.rbac.swapping import get_tenant_model

    keys = list(
        get_tenant_model()
        ._default_manager.filter(Q(slug__iexact=value) | Q(name__iexact=value))
        .values_list("pk", flat=True)[:2]
    )
    return str(keys[0]) if len(keys) == 1 else value


def tenant_ids_named(term: str) -> list[str]:
    """The IDs (as stored: hyphenated UUIDs, their hex, or the key as text) of the tenants
    whose name or slug contains ``term``; none without ``netrun.rbac``."""
    term = term.strip()
    if not term or not apps.is_installed("netrun.rbac"):
        return []
    from netrun.rbac.swapping import get_tenant_model

    keys = (
        get_tenant_model()
        ._default_manager.filter(Q(name__icontains=term) | Q(slug__icontains=term))
        .values_list("pk", flat=True)[:100]
    )
    return sorted(
        {spelling for key in keys for spelling in (str(key), getattr(key, "hex", str(key)))}
    )


# ----------------------------------------------------------------------------- the window


def _metrics_query(
    values: Mapping[str, Any], tenant_id: str | None, now: dt.datetime | None
) -> tuple[MetricsQuery, list[str]]:
    """The query of the filters' valid ``values`` for ``tenant_id``, and a note for each
    value it had to replace (a start in the future, a range too long, hours too many)."""
    notes: list[str] = []
    until = (now or dt.datetime.now(_UTC)).astimezone(_UTC)
    if values.get("until") is not None:
        until = dt.datetime.combine(values["until"] + dt.timedelta(days=1), dt.time(), _UTC)
    days = values.get("days") or _DEFAULT_DAYS
    since = until - dt.timedelta(days=days)
    if values.get("since") is not None:
        since = dt.datetime.combine(values["since"], dt.time(), _UTC)
        if since >= until:
            notes.append(f"Since: The date is in the future; showing the last {days} days.")
            since = until - dt.timedelta(days=days)
        elif until - since > dt.timedelta(days=_MAX_DAYS):
            notes.append(f"Since: A range is at most {_MAX_DAYS} days; showing the last ones.")
            since = until - dt.timedelta(days=_MAX_DAYS)
    granularity: Granularity = values.get("granularity") or "day"
    if granularity == "hour" and until - since > dt.timedelta(days=_MAX_HOURLY_DAYS):
        notes.append(f"Per: Hours are shown for at most {_MAX_HOURLY_DAYS} days; showing days.")
        granularity = "day"
    query = MetricsQuery(
        since=since,
        until=until,
        tenant_id=tenant_id,
        provider=values.get("provider") or None,
        model=values.get("model") or None,
        granularity=granularity,
        user_id=values.get("user") or None,
        api_key=values.get("key") or None,
        tag=values.get("tag") or None,
        group_by=values.get("top") or "user",
    )
    return query, notes


def _days(query: MetricsQuery) -> list[dt.date]:
    first, last = query.since.date(), (query.until - dt.timedelta(microseconds=1)).date()
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def bucket_starts(query: MetricsQuery) -> list[dt.datetime]:
    """The start of every hour, day or month (UTC) the query's window touches."""
    since = query.since.astimezone(_UTC)
    if query.granularity == "hour":
        first, step = since.replace(minute=0, second=0, microsecond=0), dt.timedelta(hours=1)
    else:
        first, step = since.replace(hour=0, minute=0, second=0, microsecond=0), dt.timedelta(days=1)
    if query.granularity == "month":
        first = first.replace(day=1)
    starts, moment = [], first
    while moment < query.until:
        starts.append(moment)
        moment = (
            (moment + dt.timedelta(days=32)).replace(day=1)
            if query.granularity == "month"
            else moment + step
        )
    return starts


# ----------------------------------------------------------------------------- queries


def _db_datetime(moment: dt.datetime) -> dt.datetime:
    return moment if settings.USE_TZ else timezone.make_naive(moment, _UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(_UTC) if timezone.is_aware(moment) else moment.replace(tzinfo=_UTC)


def _usage(query: MetricsQuery) -> QuerySet[LLMUsageRecord]:
    """The records of the query's window and filters."""
    rows: QuerySet[LLMUsageRecord] = LLMUsageRecord.objects.filter(
        created__gte=_db_datetime(query.since), created__lt=_db_datetime(query.until)
    )
    if query.tenant_id is not None:
        rows = rows.filter(tenant_id=query.tenant_id)
    if query.provider is not None:
        rows = rows.filter(provider=query.provider)
    if query.model is not None:
        rows = rows.filter(model=query.model)
    if query.user_id is not None:
        rows = rows.filter(user_id=query.user_id)
    if query.api_key is not None:
        rows = rows.filter(api_key=query.api_key)
    if query.tag is not None:
        rows = rows.filter(pk__in=LLMUsageTag.objects.filter(tag=query.tag).values("record_id"))
    return rows


def _spend_per_provider_and_day(query: MetricsQuery) -> dict[str, dict[dt.date, Decimal]]:
    trunc = Trunc("created", "day", tzinfo=_UTC if settings.USE_TZ else None)
    rows = (
        _usage(query)
        .filter(cost_usd__isnull=False)
        .annotate(day=trunc)
        .values("day", "provider")
        .annotate(cost=Sum("cost_usd"))
        .order_by("provider", "day")
    )
    spend: dict[str, dict[dt.date, Decimal]] = {}
    for row in rows:
        spend.setdefault(row["provider"], {})[row["day"].date()] = row["cost"]
    return spend


@dataclass(frozen=True)
class Refusal:
    """How many requests one policy or budget rule refused in the window."""

    kind: str
    rule: str
    count: int


def _refusals(query: MetricsQuery) -> list[Refusal]:
    rows = (
        _usage(query)
        .filter(success=False)
        .filter(
            Q(error_type__startswith="policy:")
            | Q(error_type__startswith="budget:")
            | Q(error_type__in=list(_UNRULED_REFUSALS))
        )
        .values("error_type")
        .annotate(count=Count("id"))
    )
    refusals = []
    for row in rows:
        kind, _, rule = row["error_type"].partition(":")
        if row["error_type"] in _UNRULED_REFUSALS:
            kind, rule = _UNRULED_REFUSALS[row["error_type"]], "(rule not recorded)"
        refusals.append(Refusal(kind=kind, rule=rule, count=row["count"]))
    return sorted(refusals, key=lambda refusal: (-refusal.count, refusal.kind, refusal.rule))


# ----------------------------------------------------------------------------- budgets


@dataclass(frozen=True)
class BudgetUse:
    """What a tenant spent in one period against its limit (``None``: no limit)."""

    spent: Decimal
    limit: Decimal | None

    @property
    def remaining(self) -> Decimal | None:
        return None if self.limit is None else max(Decimal(0), self.limit - self.spent)

    @property
    def percent(self) -> float | None:
        if self.limit is None:
            return None
        return 100.0 if self.limit <= 0 else float(self.spent * 100 / self.limit)


@dataclass(frozen=True)
class TenantBudget:
    """A tenant's spend today and this month against its policy's limits."""

    tenant_id: str
    timezone: str
    today: BudgetUse
    month: BudgetUse


def tenant_budgets(
    tenant_id: str | None, *, now: dt.datetime | None = None, limit: int = 50
) -> list[TenantBudget]:
    """Today's and this month's spend (UTC, every provider) of each tenant against its budget.

    ``tenant_id`` ``None`` lists the tenants with a policy or with spend this month, the
    biggest spenders first. Spend is what telemetry priced; the ledger's own figures (holds
    included, in the tenant's time zone) are on the tenant policy's admin page.
    """
    moment = (now or dt.datetime.now(_UTC)).astimezone(_UTC)
    day = dt.datetime.combine(moment.date(), dt.time(), _UTC)
    month = day.replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    usage = LLMUsageRecord.objects.filter(
        created__gte=_db_datetime(month), created__lt=_db_datetime(next_month)
    ).exclude(tenant_id="")
    policies = TenantPolicyRecord.objects.all()
    if tenant_id is not None:
        usage = usage.filter(tenant_id=tenant_id)
        policies = policies.filter(tenant_id=tenant_id)
    today = Q(created__gte=_db_datetime(day), created__lt=_db_datetime(day + dt.timedelta(days=1)))
    spend = {
        row["tenant_id"]: (row["today"] or Decimal(0), row["month"] or Decimal(0))
        for row in usage.values("tenant_id")
        .annotate(today=Sum("cost_usd", filter=today), month=Sum("cost_usd"))
        .order_by()
    }
    records = {record.tenant_id: record for record in policies}
    tenants = set(spend) | set(records) | ({tenant_id} if tenant_id else set())
    budgets = []
    for tenant in tenants:
        spent_today, spent_month = spend.get(tenant, (Decimal(0), Decimal(0)))
        record = records.get(tenant)
        budgets.append(
            TenantBudget(
                tenant_id=tenant,
                timezone=record.timezone if record else "UTC",
                today=BudgetUse(spent_today, record.daily_budget_usd if record else None),
                month=BudgetUse(spent_month, record.monthly_budget_usd if record else None),
            )
        )
    budgets.sort(key=lambda budget: (-budget.month.spent, budget.tenant_id))
    return budgets[:limit]
