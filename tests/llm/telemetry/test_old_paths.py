"""Every telemetry module path of 2.0 still imports and gives the very objects of its new home."""

from __future__ import annotations

import importlib

import pytest

from netrun.llm.telemetry import TelemetryCollector
from netrun.logging.testing import capture_logs

# old module -> {name: the module that defines it now}
MOVED = {
    "netrun.llm.admin_dashboard": {
        "BudgetUse": "netrun.llm.telemetry.dashboard.queries",
        "ChartColumn": "netrun.llm.telemetry.dashboard.charts",
        "DashboardFilterForm": "netrun.llm.telemetry.dashboard.views",
        "Refusal": "netrun.llm.telemetry.dashboard.queries",
        "TenantBudget": "netrun.llm.telemetry.dashboard.queries",
        "bar_chart_svg": "netrun.llm.telemetry.dashboard.charts",
        "bucket_starts": "netrun.llm.telemetry.dashboard.queries",
        "budget_bar_svg": "netrun.llm.telemetry.dashboard.charts",
        "chart_table": "netrun.llm.telemetry.dashboard.charts",
        "dashboard_query": "netrun.llm.telemetry.dashboard.views",
        "format_percent": "netrun.llm.telemetry.dashboard.charts",
        "format_usd": "netrun.llm.telemetry.dashboard.charts",
        "llm_dashboard_view": "netrun.llm.telemetry.dashboard.views",
        "provider_spend_svg": "netrun.llm.telemetry.dashboard.charts",
        "render_dashboard": "netrun.llm.telemetry.dashboard.views",
        "spend_chart_svg": "netrun.llm.telemetry.dashboard.charts",
        "tenant_budgets": "netrun.llm.telemetry.dashboard.queries",
        "tenant_choices": "netrun.llm.telemetry.dashboard.queries",
        "tenant_ids_named": "netrun.llm.telemetry.dashboard.queries",
        "tenant_labels": "netrun.llm.telemetry.dashboard.queries",
    },
    "netrun.llm.views_metrics": {
        "TOKEN_SCHEMES": "netrun.llm.telemetry.views",
        "make_metrics_view": "netrun.llm.telemetry.views",
        "metrics_view": "netrun.llm.telemetry.views",
    },
    "netrun.llm.telemetry.collector": {
        "FLUSH_THREAD_NAME": "netrun.llm.telemetry.collector",
        "PricingFunction": "netrun.llm.telemetry.collector",
        "RequestTracker": "netrun.llm.telemetry.tracker",
        "TelemetryCollector": "netrun.llm.telemetry.collector",
        "TelemetryStats": "netrun.llm.telemetry.collector",
        "default_collector": "netrun.llm.telemetry.collector",
        "set_default_collector": "netrun.llm.telemetry.collector",
        "track_request": "netrun.llm.telemetry.collector",
    },
    "netrun.llm.telemetry.sinks.rollup": {
        "DEFAULT_THRESHOLD": "netrun.llm.telemetry.sinks.rollup.read",
        "aggregate_with_rollups": "netrun.llm.telemetry.sinks.rollup.read",
        "rebuild_rollups": "netrun.llm.telemetry.sinks.rollup.write",
        "record_rollups": "netrun.llm.telemetry.sinks.rollup.write",
        "supports_rollups": "netrun.llm.telemetry.sinks.rollup.write",
    },
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_exports_what_it_did_and_the_same_objects(old: str) -> None:
    module = importlib.import_module(old)
    assert sorted(module.__all__) == sorted(MOVED[old])
    for name, home in MOVED[old].items():
        assert getattr(module, name) is getattr(importlib.import_module(home), name), name


def test_the_dashboard_package_exports_every_name_of_its_modules() -> None:
    package = importlib.import_module("netrun.llm.telemetry.dashboard")
    for suffix in ("queries", "charts", "views"):
        part = importlib.import_module(f"netrun.llm.telemetry.dashboard.{suffix}")
        for name in part.__all__:
            assert name in package.__all__, (suffix, name)
            assert getattr(package, name) is getattr(part, name)


def test_the_collector_logs_its_flush_events_under_its_own_name() -> None:
    # Pricing and delivery moved into the collector's internals; a logging configuration
    # written for the collector's logger still sees their events.
    collector = TelemetryCollector(background=False)
    with collector.track_request(provider="openai", model="gpt-99-imaginary"):
        pass
    with capture_logs() as logs:
        collector.flush()
    (event,) = [e for e in logs if e["event"] == "llm_telemetry_unpriced_model"]
    assert event["logger"] == "netrun.llm.telemetry.collector"
