"""The admin's LLM spend dashboard: budgets, spend, latency, failures and refusals.

Register it on an admin site (the admin wrapper does the login and staff checks)::

    path("admin/llm/dashboard/", admin.site.admin_view(llm_dashboard_view),
         name="netrun_llm_dashboard"),

Query string filters: ``tenant``, ``provider``, ``model``, ``days`` (default 30), or a date
range ``since`` / ``until`` (``YYYY-MM-DD``, UTC, both days included), and ``granularity``
(``hour``, ``day``, ``month``). An invalid value is named in a message on the page and its
default used instead. Superusers see every tenant; other staff see only the tenant of the
current context (``netrun.core.context``), else the one tenant they are a member of
(``netrun.rbac``), and nothing otherwise.

Totals, rates, percentiles and the breakdowns come from
:func:`~netrun.llm.telemetry.sinks.database.aggregate_usage`; budgets, spend per provider and
day, failures and refusals are a few grouped queries of their own. Every chart is server-side
SVG, so the page needs no JavaScript and no CDN. Refusals are the failed records whose error
type is ``policy:<rule>`` or ``budget:<rule>`` (see :class:`~netrun.llm.client.LLMClient`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Trunc
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from netrun.core.context import current_tenant_id
from netrun.llm.models import TenantPolicyRecord
from netrun.llm.telemetry.records import (
    GRANULARITIES,
    AggregatedMetrics,
    Breakdown,
    Granularity,
    MetricsQuery,
    TimeBucket,
)
from netrun.llm.telemetry.sinks.database import aggregate_usage
from netrun.llm.telemetry_models import LLMUsageRecord

__all__ = [
    "BudgetUse",
    "DashboardFilterForm",
    "TenantBudget",
    "budget_bar_svg",
    "dashboard_query",
    "llm_dashboard_view",
    "provider_spend_svg",
    "spend_chart_svg",
    "tenant_budgets",
]

_UTC = dt.timezone.utc
_MAX_DAYS = 366
_DEFAULT_DAYS = 30
# Hourly bars past a month would be thousands of SVG elements.
_MAX_HOURLY_DAYS = 31
_DATE_ERRORS = {"invalid": "Enter a date as YYYY-MM-DD."}
_TEMPLATE = "netrun_llm/dashboard.html"
# Failed records written before the client recorded the refusing rule.
_UNRULED_REFUSALS = {"LLM_POLICY_VIOLATION": "policy", "BUDGET_EXCEEDED": "budget"}
# Colour-blind-safe hues (Okabe-Ito), then greys; a ninth provider reuses the first.
_PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#666")


# ----------------------------------------------------------------------------- filters


class DashboardFilterForm(forms.Form):
    """The query string's filters; an invalid one is reported and left at its default."""

    tenant = forms.CharField(label="Tenant", required=False, max_length=64)
    provider = forms.CharField(label="Provider", required=False, max_length=32)
    model = forms.CharField(label="Model", required=False, max_length=128)
    days = forms.IntegerField(label="Days", required=False, min_value=1, max_value=_MAX_DAYS)
    since = forms.DateField(
        label="Since", required=False, input_formats=["%Y-%m-%d"], error_messages=_DATE_ERRORS
    )
    until = forms.DateField(
        label="Until", required=False, input_formats=["%Y-%m-%d"], error_messages=_DATE_ERRORS
    )
    granularity = forms.ChoiceField(
        label="Per", required=False, choices=[(g, g) for g in GRANULARITIES]
    )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since is not None and until is not None:
            if since > until:
                self.add_error("until", "Must be on or after the since date.")
            elif (until - since).days + 1 > _MAX_DAYS:
                self.add_error("until", f"A range is at most {_MAX_DAYS} days.")
        return cleaned

    def messages(self) -> list[str]:
        """One plain-text line per invalid filter (the template escapes them)."""
        return [
            f"{self.fields[name].label if name in self.fields else 'Filters'}: "
            f"{' '.join(str(error) for error in errors)}"
            for name, errors in self.errors.items()
        ]


def _filters(
    request: HttpRequest, now: dt.datetime | None
) -> tuple[DashboardFilterForm, MetricsQuery | None, list[str]]:
    form = DashboardFilterForm(request.GET)
    form.is_valid()  # fills cleaned_data with the valid fields and errors with the others
    values = form.cleaned_data
    errors = form.messages()
    user: Any = request.user
    tenant: str | None = values.get("tenant") or None
    if not getattr(user, "is_superuser", False):
        # Staff of one tenant: the tenant comes from the context (TenantMiddleware checked
        # the membership) or their only membership, never from the URL.
        tenant = current_tenant_id() or _only_membership(request)
        if tenant is None:
            return form, None, errors
    until = (now or dt.datetime.now(_UTC)).astimezone(_UTC)
    if values.get("until") is not None:
        until = dt.datetime.combine(values["until"] + dt.timedelta(days=1), dt.time(), _UTC)
    days = values.get("days") or _DEFAULT_DAYS
    since = until - dt.timedelta(days=days)
    if values.get("since") is not None:
        since = dt.datetime.combine(values["since"], dt.time(), _UTC)
        if since >= until:
            errors.append(f"Since: The date is in the future; showing the last {days} days.")
            since = until - dt.timedelta(days=days)
        elif until - since > dt.timedelta(days=_MAX_DAYS):
            errors.append(f"Since: A range is at most {_MAX_DAYS} days; showing the last ones.")
            since = until - dt.timedelta(days=_MAX_DAYS)
    granularity: Granularity = values.get("granularity") or "day"
    if granularity == "hour" and until - since > dt.timedelta(days=_MAX_HOURLY_DAYS):
        errors.append(f"Per: Hours are shown for at most {_MAX_HOURLY_DAYS} days; showing days.")
        granularity = "day"
    query = MetricsQuery(
        since=since,
        until=until,
        tenant_id=tenant,
        provider=values.get("provider") or None,
        model=values.get("model") or None,
        granularity=granularity,
    )
    return form, query, errors


def _only_membership(request: HttpRequest) -> str | None:
    if not apps.is_installed("netrun.rbac"):
        return None  # no memberships to read: staff need a tenant bound
    from netrun.rbac.admin import member_tenant_ids

    tenants = member_tenant_ids(request)
    return str(tenants[0]) if len(tenants) == 1 else None


def dashboard_query(request: HttpRequest, *, now: dt.datetime | None = None) -> MetricsQuery | None:
    """The query the request's filters ask for; ``None`` when the user may see nothing."""
    return _filters(request, now)[1]


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
    return rows


def _days(query: MetricsQuery) -> list[dt.date]:
    first, last = query.since.date(), (query.until - dt.timedelta(microseconds=1)).date()
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


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


# ----------------------------------------------------------------------------- charts


def _svg(width: int, height: int, label: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}" width="{}" '
        'height="{}" viewBox="0 0 {} {}">{}</svg>',
        label,
        width,
        height,
        width,
        height,
        body,
    )


def spend_chart_svg(series: list[TimeBucket], width: int = 720, height: int = 160) -> SafeString:
    """Bars of cost per bucket as inline SVG (titles carry the exact amounts)."""
    if not series:
        return format_html("<p>{}</p>", "No requests in this period.")
    peak = max((bucket.cost_usd for bucket in series), default=Decimal(0)) or Decimal(1)
    slot = width / len(series)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#417690"><title>{}: {} USD, {} requests</title></rect>',
        (
            (
                f"{index * slot:.1f}",
                f"{height - float(bucket.cost_usd / peak) * height:.1f}",
                f"{max(slot - 1, 1):.1f}",
                f"{float(bucket.cost_usd / peak) * height:.1f}",
                bucket.start.isoformat(),
                f"{bucket.cost_usd:.4f}",
                bucket.requests,
            )
            for index, bucket in enumerate(series)
        ),
    )
    return _svg(width, height, "spend per period", bars)


def provider_spend_svg(
    days: Sequence[dt.date],
    spend: Mapping[str, Mapping[dt.date, Decimal]],
    width: int = 720,
    height: int = 180,
) -> SafeString:
    """Spend per day as bars stacked by provider, with an axis and a legend, as inline SVG.

    ``spend`` maps each provider to its cost per day; ``days`` is the axis, every day shown
    even without spend. Each bar's ``<title>`` carries the exact amount.
    """
    if not days or not any(any(per_day.values()) for per_day in spend.values()):
        return format_html("<p>{}</p>", "No priced requests in this period.")
    left, axis, legend_row, legend_item = 64, 18, 18, 150
    providers = sorted(spend)
    colours = {name: _PALETTE[index % len(_PALETTE)] for index, name in enumerate(providers)}
    peak = max(
        sum((spend[name].get(day, Decimal(0)) for name in providers), Decimal(0)) for day in days
    )
    slot = (width - left) / len(days)
    parts = [
        format_html(
            '<line x1="{x}" y1="0" x2="{x}" y2="{h}" stroke="#999"/>'
            '<line x1="{x}" y1="{h}" x2="{w}" y2="{h}" stroke="#999"/>'
            '<text x="{label}" y="10" text-anchor="end" font-size="10">{peak} USD</text>'
            '<text x="{label}" y="{h}" text-anchor="end" font-size="10">0</text>',
            x=left - 1,
            h=height,
            w=width,
            label=left - 4,
            peak=f"{peak:.2f}",
        )
    ]
    for index, day in enumerate(days):
        top = float(height)
        for name in providers:
            cost = spend[name].get(day, Decimal(0))
            if cost <= 0:
                continue
            bar = float(cost / peak) * height
            top -= bar
            parts.append(
                format_html(
                    '<rect class="bar" x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}">'
                    "<title>{day} {name}: {cost} USD</title></rect>",
                    x=f"{left + index * slot:.1f}",
                    y=f"{top:.1f}",
                    w=f"{max(slot - 1, 1):.1f}",
                    h=f"{bar:.1f}",
                    fill=colours[name],
                    day=day.isoformat(),
                    name=name,
                    cost=f"{cost:.4f}",
                )
            )
    every = math.ceil(len(days) / 8)  # at most eight date labels, whatever the range
    parts.extend(
        format_html(
            '<text x="{x}" y="{y}" text-anchor="middle" font-size="10">{day}</text>',
            x=f"{left + (index + 0.5) * slot:.1f}",
            y=height + 13,
            day=day.strftime("%m-%d"),
        )
        for index, day in enumerate(days)
        if index % every == 0
    )
    per_row = max(1, width // legend_item)
    for index, name in enumerate(providers):
        x = (index % per_row) * legend_item
        y = height + axis + (index // per_row) * legend_row
        parts.append(
            format_html(
                '<g class="legend"><rect x="{x}" y="{y}" width="12" height="12" fill="{fill}"/>'
                '<text x="{text_x}" y="{text_y}" font-size="12">{name}</text></g>',
                x=x,
                y=y,
                fill=colours[name],
                text_x=x + 16,
                text_y=y + 11,
                name=name,
            )
        )
    legend_height = math.ceil(len(providers) / per_row) * legend_row
    body = format_html_join("", "{}", ((part,) for part in parts))
    return _svg(width, height + axis + legend_height, "spend per day by provider", body)


def budget_bar_svg(use: BudgetUse, width: int = 160) -> SafeString:
    """A bar of the share of the limit spent: amber from 80 %, red when used up."""
    percent = use.percent
    if percent is None:
        return format_html("<span>{}</span>", "no limit")
    colour = "#ba2121" if percent >= 100 else "#e0a800" if percent >= 80 else "#417690"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="budget-bar" role="img" aria-label="{}" '
        'width="{}" height="12" viewBox="0 0 {} 12"><rect width="{}" height="12" fill="#e8e8e8"/>'
        '<rect class="used" width="{}" height="12" fill="{}"/></svg> {}',
        f"{percent:.0f}% of the budget",
        width,
        width,
        width,
        f"{min(percent, 100.0) * width / 100:.1f}",
        colour,
        f"{percent:.0f}%",
    )


# ----------------------------------------------------------------------------- view


def _breakdown_rows(metrics: Mapping[str, Breakdown], limit: int) -> list[dict[str, Any]]:
    rows = sorted(metrics.values(), key=lambda row: row.cost_usd, reverse=True)[:limit]
    return [
        {
            "key": row.key or "-",
            "requests": row.requests,
            "success": f"{row.success_rate:.1%}",
            "cost": f"{row.cost_usd:.4f}",
            "unpriced": row.unpriced_requests,
            "latency": (
                f"{row.latency_p50_ms:.0f} / {row.latency_p95_ms:.0f} / {row.latency_p99_ms:.0f}"
            ),
        }
        for row in rows
    ]


def _budget_rows(budgets: list[TenantBudget]) -> list[dict[str, Any]]:
    def period(use: BudgetUse) -> dict[str, Any]:
        return {
            "spent": f"{use.spent:.2f}",
            "limit": "-" if use.limit is None else f"{use.limit:.2f}",
            "remaining": "-" if use.remaining is None else f"{use.remaining:.2f}",
            "bar": budget_bar_svg(use),
        }

    return [
        {
            "tenant": budget.tenant_id,
            "timezone": budget.timezone,
            "today": period(budget.today),
            "month": period(budget.month),
        }
        for budget in budgets
    ]


def llm_dashboard_view(request: HttpRequest) -> HttpResponse:
    """The dashboard page; wrap it in ``admin.site.admin_view`` when routing it."""
    form, query, errors = _filters(request, None)
    user: Any = request.user
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "LLM spend",
        "all_tenants": bool(getattr(user, "is_superuser", False)),
        "granularities": GRANULARITIES,
        "filters": {name: request.GET.get(name, "") for name in form.fields},
        "tenant_shown": query.tenant_id if query and query.tenant_id else "",
        "filter_errors": errors,
        "denied": query is None,
    }
    if query is not None:
        metrics: AggregatedMetrics = aggregate_usage(LLMUsageRecord.objects.all(), query)
        failures = _usage(query).filter(success=False).order_by("-created")[:20]
        context.update(
            query=query,
            window=f"{query.since:%Y-%m-%d %H:%M} to {query.until:%Y-%m-%d %H:%M} UTC",
            m=metrics,
            success_rate=f"{metrics.success_rate:.1%}",
            cost=f"{metrics.total_cost_usd:.4f}",
            latency=(
                f"{metrics.latency_p50_ms:.0f} / {metrics.latency_p95_ms:.0f} / "
                f"{metrics.latency_p99_ms:.0f}"
            ),
            budgets=_budget_rows(tenant_budgets(query.tenant_id)),
            chart=spend_chart_svg(metrics.time_series),
            provider_chart=provider_spend_svg(_days(query), _spend_per_provider_and_day(query)),
            by_tenant=_breakdown_rows(metrics.by_tenant, 20),
            by_provider=_breakdown_rows(metrics.by_provider, 20),
            top_models=_breakdown_rows(metrics.by_model, 10),
            failures=[
                {
                    "when": f"{_utc(row.created):%Y-%m-%d %H:%M:%S}",
                    "tenant": row.tenant_id or "-",
                    "provider": row.provider,
                    "model": row.model,
                    "error": row.error_type or "-",
                    "correlation_id": row.correlation_id or "-",
                }
                for row in failures
            ],
            refusals=_refusals(query),
        )
    return render(request, _TEMPLATE, context)
