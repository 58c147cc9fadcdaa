"""The admin's LLM spend dashboard: spend, latency and failures from ``LLMUsageRecord``.

Register it on an admin site (the admin wrapper does the login and staff checks)::

    path("admin/llm/dashboard/", admin.site.admin_view(llm_dashboard_view),
         name="netrun_llm_dashboard"),

Query string filters: ``tenant``, ``provider``, ``model``, ``days`` (default 30),
``granularity`` (``hour``, ``day``, ``month``). Superusers see every tenant; other staff see
only the tenant of the current context (``netrun.core.context``) and nothing without one.
Every number comes from :func:`~netrun.llm.telemetry.sinks.database.aggregate_usage` (SQL
aggregates); the chart is server-side SVG, so the page needs no JavaScript and no CDN.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from netrun.core.context import current_tenant_id
from netrun.llm.telemetry.records import AggregatedMetrics, Granularity, MetricsQuery, TimeBucket
from netrun.llm.telemetry.sinks.database import aggregate_usage
from netrun.llm.telemetry_models import LLMUsageRecord

__all__ = ["dashboard_query", "llm_dashboard_view", "spend_chart_svg"]

_UTC = dt.timezone.utc
_MAX_DAYS = 366
_PAGE = """{% extends "admin/base_site.html" %}
{% block title %}LLM spend | {{ site_title|default:"Django site admin" }}{% endblock %}
{% block content %}
<h1>LLM spend</h1>
<form method="get" class="netrun-llm-filters">
  <label>Tenant <input name="tenant" value="{{ filters.tenant }}"{% if not all_tenants %} disabled{% endif %}></label>
  <label>Provider <input name="provider" value="{{ filters.provider }}"></label>
  <label>Model <input name="model" value="{{ filters.model }}"></label>
  <label>Days <input name="days" type="number" min="1" max="366" value="{{ filters.days }}"></label>
  <label>Per <select name="granularity">{% for g in granularities %}<option{% if g == filters.granularity %} selected{% endif %}>{{ g }}</option>{% endfor %}</select></label>
  <button type="submit">Apply</button>
</form>
{% if denied %}<p class="errornote">No tenant in the current context: nothing to show.</p>{% else %}
<table><tbody>
<tr><th>Requests</th><td id="total-requests">{{ m.total_requests }}</td></tr>
<tr><th>Success rate</th><td id="success-rate">{{ success_rate }}</td></tr>
<tr><th>Cost (USD)</th><td id="total-cost">{{ cost }}</td></tr>
<tr><th>Unpriced requests</th><td id="unpriced">{{ m.unpriced_requests }}</td></tr>
<tr><th>Tokens</th><td>{{ m.total_tokens }}</td></tr>
<tr><th>Latency p50 / p95 / p99 (ms)</th><td id="latency">{{ latency }}</td></tr>
</tbody></table>
<h2>Spend per {{ filters.granularity }}</h2>
{{ chart }}
<h2>By tenant</h2>{{ by_tenant }}
<h2>By provider</h2>{{ by_provider }}
<h2>Top models</h2>{{ by_model }}
<h2>Recent failures</h2>{{ failures }}
{% endif %}
{% endblock %}
"""


def _render(request: HttpRequest, context: dict[str, Any]) -> str:
    # The project's Django engine: its loaders find admin/base_site.html, and rendering with
    # the request runs its context processors, which the admin base template expects.
    return engines["django"].from_string(_PAGE).render(context, request)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


def dashboard_query(request: HttpRequest, *, now: dt.datetime | None = None) -> MetricsQuery | None:
    """The query the request's filters ask for; ``None`` when the user may see nothing."""
    user: Any = request.user
    all_tenants = bool(getattr(user, "is_superuser", False))
    tenant = request.GET.get("tenant") or None
    if not all_tenants:
        # Staff of one tenant: the tenant comes from the context, never from the URL.
        tenant = current_tenant_id()
        if tenant is None:
            return None
    days = _int(request.GET.get("days"), 30, 1, _MAX_DAYS)
    granularity: Granularity = "day"
    if request.GET.get("granularity") in ("hour", "day", "month"):
        granularity = request.GET["granularity"]  # type: ignore[assignment]
    until = now or dt.datetime.now(_UTC)
    return MetricsQuery(
        since=until - dt.timedelta(days=days),
        until=until,
        tenant_id=tenant,
        provider=request.GET.get("provider") or None,
        model=request.GET.get("model") or None,
        granularity=granularity,
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
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="spend per period" '
        'width="{}" height="{}" viewBox="0 0 {} {}">{}</svg>',
        width,
        height,
        width,
        height,
        bars,
    )


def _table(metrics: dict[str, Any], limit: int = 20) -> SafeString:
    rows = sorted(metrics.values(), key=lambda row: row.cost_usd, reverse=True)[:limit]
    if not rows:
        return mark_safe("<p>-</p>")
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                row.key or "-",
                row.requests,
                f"{row.success_rate:.1%}",
                f"{row.cost_usd:.4f}",
                row.unpriced_requests,
                f"{row.latency_p50_ms:.0f} / {row.latency_p95_ms:.0f} / {row.latency_p99_ms:.0f}",
            )
            for row in rows
        ),
    )
    return format_html(
        "<table><thead><tr><th>Key</th><th>Requests</th><th>Success</th><th>Cost (USD)</th>"
        "<th>Unpriced</th><th>p50 / p95 / p99 ms</th></tr></thead><tbody>{}</tbody></table>",
        body,
    )


def _failures(query: MetricsQuery, limit: int = 20) -> SafeString:
    rows = LLMUsageRecord.objects.filter(
        success=False, created__gte=query.since, created__lt=query.until
    )
    if query.tenant_id is not None:
        rows = rows.filter(tenant_id=query.tenant_id)
    if query.provider is not None:
        rows = rows.filter(provider=query.provider)
    if query.model is not None:
        rows = rows.filter(model=query.model)
    recent = rows.order_by("-created")[:limit]
    if not recent:
        return mark_safe("<p>-</p>")
    return format_html(
        "<table><thead><tr><th>When</th><th>Tenant</th><th>Provider/model</th><th>Error</th>"
        "<th>Correlation ID</th></tr></thead><tbody>{}</tbody></table>",
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}/{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{row.created:%Y-%m-%d %H:%M:%S}",
                    row.tenant_id,
                    row.provider,
                    row.model,
                    row.error_type,
                    row.correlation_id,
                )
                for row in recent
            ),
        ),
    )


def llm_dashboard_view(request: HttpRequest) -> HttpResponse:
    """The dashboard page; wrap it in ``admin.site.admin_view`` when routing it."""
    query = dashboard_query(request)
    user: Any = request.user
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "all_tenants": bool(getattr(user, "is_superuser", False)),
        "granularities": ("hour", "day", "month"),
        "filters": {
            "tenant": request.GET.get("tenant", ""),
            "provider": request.GET.get("provider", ""),
            "model": request.GET.get("model", ""),
            "days": _int(request.GET.get("days"), 30, 1, _MAX_DAYS),
            "granularity": query.granularity if query else "day",
        },
        "denied": query is None,
    }
    if query is not None:
        metrics: AggregatedMetrics = aggregate_usage(LLMUsageRecord.objects.all(), query)
        context.update(
            m=metrics,
            success_rate=f"{metrics.success_rate:.1%}",
            cost=f"{metrics.total_cost_usd:.4f}",
            latency=(
                f"{metrics.latency_p50_ms:.0f} / {metrics.latency_p95_ms:.0f} / "
                f"{metrics.latency_p99_ms:.0f}"
            ),
            chart=spend_chart_svg(metrics.time_series),
            by_tenant=_table(metrics.by_tenant),
            by_provider=_table(metrics.by_provider),
            by_model=_table(metrics.by_model),
            failures=_failures(query),
        )
    return HttpResponse(_render(request, context))
