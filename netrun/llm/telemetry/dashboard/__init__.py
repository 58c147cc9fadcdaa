"""The admin's LLM spend dashboard: budgets, spend, latency, failures and refusals.

The admin site serves it at ``admin/netrun_llm/dashboard/`` (``reverse("admin:netrun_llm_
dashboard")``), linked from the admin index: nothing to route. For a URL of your own, wrap
:func:`~netrun.llm.telemetry.dashboard.views.llm_dashboard_view` in
``admin.site.admin_view`` and route it before ``admin/`` or outside it (the admin's
catch-all answers 404 for any ``admin/...`` path routed after it).

Query string filters: ``tenant`` (its ID, slug or name), ``provider``, ``model``, ``days``
(default 30), or a date range ``since`` / ``until`` (``YYYY-MM-DD``, UTC, both days
included), and ``granularity`` (``hour``, ``day``, ``month``). An invalid value is named in a
message on the page and its default used instead. Superusers see every tenant; other staff
see only the tenant of the current context (``netrun.core.context``), else the one tenant
they are a member of (``netrun.rbac``), and nothing otherwise.

Three modules, all Django glue: :mod:`~netrun.llm.telemetry.dashboard.queries` (the window
the filters ask for, tenant names, budgets and the ORM queries),
:mod:`~netrun.llm.telemetry.dashboard.charts` (server-side SVG charts with a table of the
same numbers, and amounts written for their size) and
:mod:`~netrun.llm.telemetry.dashboard.views` (the filter form and the page). Before 2.1 this
was ``netrun.llm.admin_dashboard``, which still imports.
"""

from __future__ import annotations

from netrun.llm.telemetry.dashboard.charts import (
    ChartColumn,
    bar_chart_svg,
    budget_bar_svg,
    chart_table,
    format_percent,
    format_usd,
    provider_spend_svg,
    spend_chart_svg,
)
from netrun.llm.telemetry.dashboard.queries import (
    BudgetUse,
    Refusal,
    TenantBudget,
    bucket_starts,
    tenant_budgets,
    tenant_choices,
    tenant_ids_named,
    tenant_labels,
)
from netrun.llm.telemetry.dashboard.views import (
    DashboardFilterForm,
    dashboard_query,
    llm_dashboard_view,
    render_dashboard,
)

__all__ = [
    "BudgetUse",
    "ChartColumn",
    "DashboardFilterForm",
    "Refusal",
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
