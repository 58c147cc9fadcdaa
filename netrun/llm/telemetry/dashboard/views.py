"""The dashboard page: its filter form and the view that renders it in the admin's layout.

The admin site serves it at ``admin/netrun_llm/dashboard/`` (``reverse("admin:netrun_llm_
dashboard")``), linked from the admin index: nothing to route. For a URL of your own, wrap
:func:`llm_dashboard_view` in ``admin.site.admin_view`` and route it before ``admin/`` or
outside it (the admin's catch-all answers 404 for any ``admin/...`` path routed after it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from netrun.core.context import current_tenant_id
from netrun.llm.attribution import api_key_context, validate_tag
from netrun.llm.telemetry.dashboard.charts import (
    budget_bar_svg,
    format_usd,
    provider_spend_svg,
    spend_chart_svg,
)
from netrun.llm.telemetry.dashboard.queries import (
    _MAX_DAYS,
    BudgetUse,
    TenantBudget,
    _days,
    _metrics_query,
    _refusals,
    _spend_per_provider_and_day,
    _tenant_named,
    _usage,
    _utc,
    bucket_starts,
    tenant_budgets,
    tenant_labels,
)
from netrun.llm.telemetry.records import (
    GRANULARITIES,
    SCOPE_KINDS,
    AggregatedMetrics,
    Breakdown,
    MetricsQuery,
)
from netrun.llm.telemetry.sinks.database import aggregate_usage
from netrun.llm.telemetry_models import LLMUsageRecord

__all__ = ["DashboardFilterForm", "dashboard_query", "llm_dashboard_view", "render_dashboard"]

_DATE_ERRORS = {"invalid": "Enter a date as YYYY-MM-DD."}
_TEMPLATE = "netrun_llm/dashboard.html"
# The page reloads itself this often when asked to (?refresh=1).
_REFRESH_SECONDS = 60
_TOP_TITLES = {"user": "users", "key": "API keys", "tag": "feature tags"}
_TOP_KEYS = {"user": "User", "key": "API key", "tag": "Tag"}


def _check_tag(value: str) -> None:
    try:
        validate_tag(value)
    except ValueError as error:
        raise ValidationError(
            "Use 1-64 characters of a-z, 0-9, '_', '.', ':' or '-', starting with a letter or "
            "digit."
        ) from error


def _check_key(value: str) -> None:
    try:
        api_key_context(value)
    except ValueError as error:
        raise ValidationError(
            "Use 1-128 characters of letters, digits and '_ . : @ -' (the key's id)."
        ) from error


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
    user = forms.CharField(
        label="User",
        required=False,
        max_length=64,
        validators=[
            RegexValidator(r"^[\w.@:+-]+\Z", "Use letters, digits and '_ . @ : + -' (the id).")
        ],
    )
    key = forms.CharField(label="API key", required=False, max_length=128, validators=[_check_key])
    tag = forms.CharField(label="Tag", required=False, max_length=64, validators=[_check_tag])
    top = forms.ChoiceField(
        label="Top", required=False, choices=[(kind, _TOP_TITLES[kind]) for kind in SCOPE_KINDS]
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
    tenant: str | None = _tenant_named(values.get("tenant") or "") or None
    if not getattr(user, "is_superuser", False):
        # Staff of one tenant: the tenant comes from the context (TenantMiddleware checked
        # the membership) or their only membership, never from the URL.
        tenant = current_tenant_id() or _only_membership(request)
        if tenant is None:
            return form, None, errors
    query, notes = _metrics_query(values, tenant, now)
    return form, query, errors + notes


def _only_membership(request: HttpRequest) -> str | None:
    if not apps.is_installed("netrun.rbac"):
        return None  # no memberships to read: staff need a tenant bound
    from netrun.rbac.admin import member_tenant_ids

    tenants = member_tenant_ids(request)
    return str(tenants[0]) if len(tenants) == 1 else None


def dashboard_query(request: HttpRequest, *, now: dt.datetime | None = None) -> MetricsQuery | None:
    """The query the request's filters ask for; ``None`` when the user may see nothing."""
    return _filters(request, now)[1]


def _breakdown_rows(
    metrics: Mapping[str, Breakdown], limit: int, labels: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    rows = sorted(metrics.values(), key=lambda row: row.cost_usd, reverse=True)[:limit]
    return [
        {
            "key": (labels or {}).get(row.key, row.key) or "-",
            "requests": row.requests,
            "success": f"{row.success_rate:.1%}",
            "refused": row.refused,
            "tokens": row.total_tokens,
            "cost": format_usd(row.cost_usd),
            "unpriced": row.unpriced_requests,
            "latency": (
                f"{row.latency_p50_ms:.0f} / {row.latency_p95_ms:.0f} / {row.latency_p99_ms:.0f}"
            ),
        }
        for row in rows
    ]


def _budget_rows(budgets: list[TenantBudget], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    def period(use: BudgetUse) -> dict[str, Any]:
        return {
            "spent": format_usd(use.spent),
            "limit": "-" if use.limit is None else format_usd(use.limit),
            "remaining": "-" if use.remaining is None else format_usd(use.remaining),
            "bar": budget_bar_svg(use),
        }

    return [
        {
            "tenant": labels.get(budget.tenant_id, budget.tenant_id),
            "timezone": budget.timezone,
            "today": period(budget.today),
            "month": period(budget.month),
        }
        for budget in budgets
    ]


def _refresh_links(request: HttpRequest) -> tuple[bool, str]:
    """Whether the page reloads itself, and the query string that toggles it."""
    query = request.GET.copy()
    if not getattr(request.user, "is_superuser", False):
        query.pop("tenant", None)  # ignored for them: not worth repeating
    refreshing = query.get("refresh") == "1"
    if refreshing:
        query.pop("refresh")
    else:
        query["refresh"] = "1"
    return refreshing, query.urlencode()


def render_dashboard(request: HttpRequest, site: admin.AdminSite) -> HttpResponse:
    """The dashboard page inside ``site``'s layout (its header, sidebar and links)."""
    form, query, errors = _filters(request, None)
    user: Any = request.user
    now = dt.datetime.now(dt.timezone.utc)
    refreshing, refresh_query = _refresh_links(request)
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": "LLM spend",
        "all_tenants": bool(getattr(user, "is_superuser", False)),
        "granularities": GRANULARITIES,
        "top_choices": [(kind, _TOP_TITLES[kind]) for kind in SCOPE_KINDS],
        "filters": {name: request.GET.get(name, "") for name in form.fields},
        "tenant_shown": "",
        "filter_errors": errors,
        "denied": query is None,
        "as_of": f"{now:%Y-%m-%d %H:%M:%S} UTC",
        "refreshing": refreshing,
        "refresh_seconds": _REFRESH_SECONDS,
        "refresh_query": refresh_query,
    }
    if query is not None:
        metrics: AggregatedMetrics = aggregate_usage(LLMUsageRecord.objects.all(), query)
        failures = list(_usage(query).filter(success=False).order_by("-created")[:20])
        budgets = tenant_budgets(query.tenant_id)
        latest = _usage(query).aggregate(latest=Max("created"))["latest"]
        labels = tenant_labels(
            [
                *(budget.tenant_id for budget in budgets),
                *metrics.by_tenant,
                *(row.tenant_id for row in failures),
                query.tenant_id or "",
            ]
        )
        requests = metrics.total_requests
        context.update(
            query=query,
            tenant_shown=labels.get(query.tenant_id or "", query.tenant_id or ""),
            window=f"{query.since:%Y-%m-%d %H:%M} to {query.until:%Y-%m-%d %H:%M} UTC",
            latest=f"{_utc(latest):%Y-%m-%d %H:%M:%S} UTC" if latest else "",
            m=metrics,
            success_rate=f"{metrics.success_rate:.1%}" if requests else "",
            cost=format_usd(metrics.total_cost_usd),
            latency=(
                f"{metrics.latency_p50_ms:.0f} / {metrics.latency_p95_ms:.0f} / "
                f"{metrics.latency_p99_ms:.0f}"
                if requests
                else ""
            ),
            budgets=_budget_rows(budgets, labels),
            chart=spend_chart_svg(
                metrics.time_series, starts=bucket_starts(query), granularity=query.granularity
            ),
            provider_chart=provider_spend_svg(_days(query), _spend_per_provider_and_day(query)),
            by_tenant=_breakdown_rows(metrics.by_tenant, 20, labels),
            by_provider=_breakdown_rows(metrics.by_provider, 20),
            top_models=_breakdown_rows(metrics.by_model, 10),
            top_kind=_TOP_TITLES[query.group_by or "user"],
            top_key=_TOP_KEYS[query.group_by or "user"],
            top_scopes=_breakdown_rows(metrics.by_scope, 10),
            failures=[
                {
                    "when": f"{_utc(row.created):%Y-%m-%d %H:%M:%S}",
                    "tenant": labels.get(row.tenant_id, row.tenant_id) or "-",
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


def llm_dashboard_view(request: HttpRequest) -> HttpResponse:
    """The dashboard as a view of its own, for a URL outside the admin's; wrap it in
    ``admin.site.admin_view``. The admin site already serves it at
    ``admin/netrun_llm/dashboard/`` (see :class:`netrun.llm.admin.DashboardAdmin`)."""
    return render_dashboard(request, admin.site)
