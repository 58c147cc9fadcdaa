"""Kept for imports written before 2.1: these names live in
:mod:`netrun.llm.telemetry.dashboard` now."""

from __future__ import annotations

from netrun.llm.telemetry.dashboard import (
    BudgetUse,
    ChartColumn,
    DashboardFilterForm,
    Refusal,
    TenantBudget,
    bar_chart_svg,
    bucket_starts,
    budget_bar_svg,
    chart_table,
    dashboard_query,
    format_percent,
    format_usd,
    llm_dashboard_view,
    provider_spend_svg,
    render_dashboard,
    spend_chart_svg,
    tenant_budgets,
    tenant_choices,
    tenant_ids_named,
    tenant_labels,
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
