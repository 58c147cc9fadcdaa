"""The admin's LLM spend dashboard: budgets, spend, latency, failures and refusals.

The admin site serves it at ``admin/netrun_llm/dashboard/`` (``reverse("admin:netrun_llm_
dashboard")``), linked from the admin index: nothing to route. For a URL of your own, wrap
:func:`llm_dashboard_view` in ``admin.site.admin_view`` and route it before ``admin/`` or
outside it (the admin's catch-all answers 404 for any ``admin/...`` path routed after it).

Query string filters: ``tenant`` (its ID, slug or name), ``provider``, ``model``, ``days`` (default 30), or a date
range ``since`` / ``until`` (``YYYY-MM-DD``, UTC, both days included), and ``granularity``
(``hour``, ``day``, ``month``). An invalid value is named in a message on the page and its
default used instead. Superusers see every tenant; other staff see only the tenant of the
current context (``netrun.core.context``), else the one tenant they are a member of
(``netrun.rbac``), and nothing otherwise.

Totals, rates, percentiles and the breakdowns come from
:func:`~netrun.llm.telemetry.sinks.database.aggregate_usage`; budgets, spend per provider and
day, failures and refusals are a few grouped queries of their own. Every chart is server-side
SVG with a table of the same numbers, so the page needs no JavaScript and no CDN. Tenants
are shown by name (:func:`tenant_labels`), amounts for their size (:func:`format_usd`). Refusals are the failed records whose error
type is ``policy:<rule>`` or ``budget:<rule>`` (see :class:`~netrun.llm.client.LLMClient`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Trunc
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

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
    "ChartColumn",
    "DashboardFilterForm",
    "TenantBudget",
    "bar_chart_svg",
    "bucket_starts",
    "budget_bar_svg",
    "chart_table",
    "dashboard_query",
    "format_percent",
    "format_usd",
    "llm_dashboard_view",
    "provider_spend_svg",
    "render_dashboard",
    "spend_chart_svg",
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
_DATE_ERRORS = {"invalid": "Enter a date as YYYY-MM-DD."}
_TEMPLATE = "netrun_llm/dashboard.html"
# Failed records written before the client recorded the refusing rule.
_UNRULED_REFUSALS = {"LLM_POLICY_VIOLATION": "policy", "BUDGET_EXCEEDED": "budget"}
# Colour-blind-safe hues (Okabe-Ito), then greys; a ninth provider reuses the first.
# The page reloads itself this often when asked to (?refresh=1).
_REFRESH_SECONDS = 60
_PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#666")


# ----------------------------------------------------------------------------- formatting

# The telemetry table keeps ten decimals: nothing smaller exists to show.
_MAX_PLACES = 10


def format_usd(amount: Decimal | int | None) -> str:
    """An amount of USD written for its size, without the currency sign.

    From 1 up: two decimals and thousands separators (``1,234.50``). Below 1: four
    significant digits, at least two decimals, trailing zeros dropped (``0.50``,
    ``0.1235``, ``0.0005``), so small spend never reads as ``0.00``.
    """
    if amount is None:
        return "-"
    value = Decimal(amount)
    if value == 0:
        return "0.00"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    places = min(_MAX_PLACES, max(2, 3 - abs(value).adjusted()))
    text = f"{value:.{places}f}"
    whole, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


def format_percent(percent: float | None) -> str:
    """A share of a budget: ``<1%`` for a little spend, never ``100%`` before it is used up."""
    if percent is None:
        return "-"
    if 0 < percent < 1:
        return "<1%"
    if 99 < percent < 100:
        return "99%"
    return f"{percent:.0f}%"


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
    tenant: str | None = _tenant_named(values.get("tenant") or "") or None
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


@dataclass(frozen=True)
class ChartColumn:
    """One bar of a chart: its amount per series, its name on the axis and in full."""

    key: str  # in full: the bar's tooltip and the table's first column
    tick: str  # short: the x axis
    values: Mapping[str, Decimal]
    note: str = ""  # added to the tooltip and the table (the bucket's requests)

    @property
    def total(self) -> Decimal:
        return sum(self.values.values(), Decimal(0))


# A pattern over each series' colour, so that bars differ by more than colour: (angle, mark).
_HATCHES = (
    (0, ""),
    (45, '<rect width="2" height="6" fill="#fff" fill-opacity="0.65"/>'),
    (0, '<circle cx="3" cy="3" r="1.3" fill="#fff" fill-opacity="0.75"/>'),
    (-45, '<rect width="2" height="6" fill="#fff" fill-opacity="0.65"/>'),
    (0, '<rect width="6" height="2" fill="#fff" fill-opacity="0.65"/>'),
    (
        45,
        '<rect width="2" height="6" fill="#fff" fill-opacity="0.6"/>'
        '<rect width="6" height="2" fill="#fff" fill-opacity="0.6"/>',
    ),
    (90, '<rect width="2" height="6" fill="#000" fill-opacity="0.35"/>'),
    (0, ""),
)
_LEFT, _RIGHT, _TOP, _AXIS, _LEGEND_ROW, _LEGEND_ITEM = 76, 8, 16, 18, 18, 150
_MAX_BAR = 48
_MAX_TICKS = 8


def _nice_top(peak: Decimal) -> Decimal:
    """The axis' top: the first of 1, 2, 2.5, 5 or 10 times a power of ten at or above peak."""
    base = Decimal(1).scaleb(peak.adjusted())
    return next(step * base for step in (1, 2, Decimal("2.5"), 5, 10) if step * base >= peak)


def _patterns(chart_id: str, series: Sequence[str]) -> SafeString:
    return format_html_join(
        "",
        '<pattern id="{}" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate({})"><rect width="6" height="6" fill="{}"/>{}</pattern>',
        (
            (
                f"{chart_id}-s{index}",
                _HATCHES[index % len(_HATCHES)][0],
                _PALETTE[index % len(_PALETTE)],
                mark_safe(_HATCHES[index % len(_HATCHES)][1]),  # noqa: S308 (constants above)
            )
            for index in range(len(series))
        ),
    )


def bar_chart_svg(
    chart_id: str,
    label: str,
    columns: Sequence[ChartColumn],
    series: Sequence[str],
    width: int = 720,
    height: int = 160,
) -> SafeString:
    """Bars, stacked by series, with a y axis in USD, the amounts above the bars, a legend and
    a ``<table>`` of the same numbers, as inline SVG and HTML (no JavaScript).

    Each series has a colour-blind-safe colour (Okabe-Ito) and a pattern of its own, so the
    bars never differ by colour alone. A bar is at most 48 px wide, so one day of data is one
    bar, not a block across the chart. Amounts over a bar are left out where they would
    overlap their neighbours; every one is in the bar's tooltip and in the table.
    """
    top = _nice_top(max(column.total for column in columns))
    plot_width, n = width - _LEFT - _RIGHT, len(columns)
    slot = plot_width / n
    bar_width = max(1.0, min(slot * 0.7, _MAX_BAR))
    parts: list[SafeString] = [format_html("<defs>{}</defs>", _patterns(chart_id, series))]
    for fraction in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = _TOP + height - float(fraction) * height
        parts.append(
            format_html(
                '<line class="grid" x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{colour}"/>'
                '<text class="tick" x="{text_x}" y="{text_y}" text-anchor="end" '
                'font-size="10">{amount}</text>',
                left=_LEFT,
                right=width - _RIGHT,
                y=f"{y:.1f}",
                colour="#999" if fraction == 0 else "#ddd",
                text_x=_LEFT - 4,
                text_y=f"{y + 3:.1f}",
                amount=f"${format_usd(top * fraction)}",
            )
        )
    parts.append(
        format_html(
            '<line x1="{x}" y1="{top}" x2="{x}" y2="{bottom}" stroke="#999"/>',
            x=_LEFT,
            top=_TOP,
            bottom=_TOP + height,
        )
    )
    labelled_until = float("-inf")  # right edge of the last amount written over a bar
    every = math.ceil(n / _MAX_TICKS)
    for index, column in enumerate(columns):
        centre = _LEFT + (index + 0.5) * slot
        y = float(_TOP + height)
        for number, name in enumerate(series):
            amount = column.values.get(name, Decimal(0))
            if amount <= 0:
                continue
            bar = float(amount / top) * height
            y -= bar
            parts.append(
                format_html(
                    '<rect class="bar" x="{x}" y="{y}" width="{w}" height="{h}" '
                    'fill="url(#{pattern})" data-series="{name}" data-value="{value}">'
                    "<title>{key}{name_part}: ${value}{note}</title></rect>",
                    x=f"{centre - bar_width / 2:.1f}",
                    y=f"{y:.1f}",
                    w=f"{bar_width:.1f}",
                    h=f"{max(bar, 0.5):.1f}",
                    pattern=f"{chart_id}-s{number}",
                    name=name,
                    name_part=f" {name}" if name else "",
                    value=format_usd(amount),
                    key=column.key,
                    note=f" ({column.note})" if column.note else "",
                )
            )
        if column.total > 0:
            text = f"${format_usd(column.total)}"
            half = 3.2 * len(text) + 2  # about half the text's width at 10 px
            if centre - half >= labelled_until and centre + half <= width:
                labelled_until = centre + half
                parts.append(
                    format_html(
                        '<text class="value" x="{x}" y="{y}" text-anchor="middle" '
                        'font-size="10">{text}</text>',
                        x=f"{centre:.1f}",
                        y=f"{y - 3:.1f}",
                        text=text,
                    )
                )
        if index % every == 0:
            parts.append(
                format_html(
                    '<text class="day" x="{x}" y="{y}" text-anchor="middle" font-size="10">'
                    "{tick}</text>",
                    x=f"{centre:.1f}",
                    y=_TOP + height + 13,
                    tick=column.tick,
                )
            )
    legend_height = 0
    if len(series) > 1 or (series and series[0]):
        per_row = max(1, width // _LEGEND_ITEM)
        for index, name in enumerate(series):
            x = (index % per_row) * _LEGEND_ITEM + _LEFT
            y = _TOP + height + _AXIS + (index // per_row) * _LEGEND_ROW
            parts.append(
                format_html(
                    '<g class="legend"><rect x="{x}" y="{y}" width="14" height="14" '
                    'fill="url(#{pattern})" stroke="#666" stroke-width="0.5"/>'
                    '<text x="{text_x}" y="{text_y}" font-size="12">{name}</text></g>',
                    x=x,
                    y=y,
                    pattern=f"{chart_id}-s{index}",
                    text_x=x + 18,
                    text_y=y + 11,
                    name=name,
                )
            )
        legend_height = math.ceil(len(series) / per_row) * _LEGEND_ROW
    body = format_html_join("", "{}", ((part,) for part in parts))
    svg = _svg(width, _TOP + height + _AXIS + legend_height, label, body)
    return format_html("{}{}", svg, chart_table(label, columns, series))


def chart_table(label: str, columns: Sequence[ChartColumn], series: Sequence[str]) -> SafeString:
    """The chart's numbers as a table (the bars with an amount; amounts in USD)."""
    named = [name for name in series if name]
    heads = format_html_join("", '<th class="num" scope="col">{}</th>', ((name,) for name in named))
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}<td class="num total">{}</td><td>{}</td></tr>',
        (
            (
                column.key,
                format_html_join(
                    "",
                    '<td class="num">{}</td>',
                    ((format_usd(column.values.get(name, Decimal(0))),) for name in named),
                ),
                format_usd(column.total),
                column.note,
            )
            for column in columns
            if column.total > 0
        ),
    )
    return format_html(
        '<details class="chart-data"><summary>The numbers of this chart</summary>'
        "<table><caption>{} (USD; periods without spend left out)</caption><thead><tr>"
        '<th scope="col">Period</th>{}<th class="num" scope="col">Total</th><th scope="col">'
        "</th></tr></thead><tbody>{}</tbody></table></details>",
        label,
        heads,
        rows,
    )


def _tick(start: dt.datetime, granularity: Granularity) -> tuple[str, str]:
    if granularity == "hour":
        return f"{start:%Y-%m-%d %H:00}", f"{start:%d %Hh}"
    if granularity == "month":
        return f"{start:%Y-%m}", f"{start:%Y-%m}"
    return f"{start:%Y-%m-%d}", f"{start:%m-%d}"


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


def spend_chart_svg(
    series: list[TimeBucket],
    width: int = 720,
    height: int = 160,
    *,
    starts: Sequence[dt.datetime] = (),
    granularity: Granularity = "day",
) -> SafeString:
    """Bars of cost per hour, day or month, every bucket of ``starts`` on the axis (with or
    without requests); tooltips and the table carry the exact amounts and request counts."""
    if not any(bucket.requests for bucket in series):
        return format_html("<p>{}</p>", "No requests in this period.")
    buckets = {_utc(bucket.start): bucket for bucket in series}
    columns = []
    for start in sorted({*starts, *buckets}):
        bucket = buckets.get(start)
        key, tick = _tick(start, granularity)
        requests = bucket.requests if bucket else 0
        columns.append(
            ChartColumn(
                key=key,
                tick=tick,
                values={"": bucket.cost_usd if bucket else Decimal(0)},
                note=f"{requests} request{'' if requests == 1 else 's'}" if requests else "",
            )
        )
    if not any(column.total for column in columns):
        return format_html("<p>{}</p>", "No priced requests in this period.")
    return bar_chart_svg("spend-chart", "spend per period", columns, [""], width, height)


def provider_spend_svg(
    days: Sequence[dt.date],
    spend: Mapping[str, Mapping[dt.date, Decimal]],
    width: int = 720,
    height: int = 180,
) -> SafeString:
    """Spend per day as bars stacked by provider (see :func:`bar_chart_svg`).

    ``spend`` maps each provider to its cost per day; ``days`` is the axis, every day shown
    even without spend.
    """
    if not days or not any(any(per_day.values()) for per_day in spend.values()):
        return format_html("<p>{}</p>", "No priced requests in this period.")
    providers = sorted(spend)
    columns = [
        ChartColumn(
            key=day.isoformat(),
            tick=day.strftime("%m-%d"),
            values={name: spend[name].get(day, Decimal(0)) for name in providers},
        )
        for day in days
    ]
    return bar_chart_svg(
        "provider-chart", "spend per day by provider", columns, providers, width, height
    )


def budget_bar_svg(use: BudgetUse, width: int = 160) -> SafeString:
    """A bar of the share of the limit spent: amber from 80 %, red when used up; the share is
    written beside it (colour is never the only sign)."""
    percent = use.percent
    if percent is None:
        return format_html("<span>{}</span>", "no limit")
    colour = "#ba2121" if percent >= 100 else "#e0a800" if percent >= 80 else "#417690"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="budget-bar" role="img" aria-label="{}" '
        'width="{}" height="12" viewBox="0 0 {} 12"><rect width="{}" height="12" fill="#e8e8e8"/>'
        '<rect class="used" width="{}" height="12" fill="{}"/></svg> {}',
        f"{format_percent(percent)} of the budget",
        width,
        width,
        width,
        f"{min(percent, 100.0) * width / 100:.1f}",
        colour,
        format_percent(percent),
    )


# ----------------------------------------------------------------------------- view


def _breakdown_rows(
    metrics: Mapping[str, Breakdown], limit: int, labels: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    rows = sorted(metrics.values(), key=lambda row: row.cost_usd, reverse=True)[:limit]
    return [
        {
            "key": (labels or {}).get(row.key, row.key) or "-",
            "requests": row.requests,
            "success": f"{row.success_rate:.1%}",
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
    now = dt.datetime.now(_UTC)
    refreshing, refresh_query = _refresh_links(request)
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": "LLM spend",
        "all_tenants": bool(getattr(user, "is_superuser", False)),
        "granularities": GRANULARITIES,
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
