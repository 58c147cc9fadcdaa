"""The models package: every model under its feature's module, the tables and the app label of
before the split, and the paths written before 2.1 naming the very same objects."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

import netrun.llm.models as models_package
from netrun.llm.models import budgets, policy, pricing, rollups, telemetry

# (model, its module now, its table): the tables never change (data of 2.0 installs).
MODELS = [
    ("TenantPolicyRecord", policy, "netrun_llm_tenant_policy"),
    ("ProviderRule", policy, "netrun_llm_provider_rule"),
    ("BudgetAccount", budgets, "netrun_llm_budget_account"),
    ("BudgetSpend", budgets, "netrun_llm_budget_spend"),
    ("BudgetReservation", budgets, "netrun_llm_budget_reservation"),
    ("LLMPriceOverride", pricing, "netrun_llm_price_override"),
    ("LLMUsageRecord", telemetry, "netrun_llm_usage_record"),
    ("LLMUsageHourly", rollups, "netrun_llm_usage_hourly"),
    ("LLMLatencyHistogram", rollups, "netrun_llm_latency_histogram"),
]

# (old module, names it exported before 2.1)
OLD_PATHS = [
    (
        "netrun.llm.models",
        [
            "BudgetAccount",
            "BudgetReservation",
            "BudgetSpend",
            "LLMLatencyHistogram",
            "LLMPriceOverride",
            "LLMUsageHourly",
            "LLMUsageRecord",
            "ProviderRule",
            "TenantPolicyRecord",
            "current_spend",
            "get_tenant_policy",
            "invalidate_tenant_policy",
        ],
    ),
    (
        "netrun.llm.telemetry_models",
        ["Dashboard", "LLMLatencyHistogram", "LLMUsageHourly", "LLMUsageRecord"],
    ),
]


@pytest.mark.parametrize(("name", "module", "table"), MODELS)
def test_each_model_lives_in_its_feature_module_with_its_table_and_label(
    name: str, module: object, table: str
) -> None:
    model = getattr(module, name)
    assert apps.get_model("netrun_llm", name) is model
    assert model._meta.db_table == table
    assert model._meta.app_label == "netrun_llm"
    assert getattr(models_package, name) is model


def test_the_package_exports_every_model_of_the_app() -> None:
    app_models = {model.__name__ for model in apps.get_app_config("netrun_llm").get_models()}
    exported = {name for name in models_package.__all__ if name[0].isupper()}
    # Models other features add (H6's aliases, ...) must be exported from the package too.
    assert app_models <= exported
    assert {name for name, _, _ in MODELS} | {"Dashboard"} <= app_models


@pytest.mark.parametrize(("old", "names"), OLD_PATHS)
def test_an_old_path_names_the_same_objects(old: str, names: list[str]) -> None:
    module = importlib.import_module(old)
    for name in names:
        assert getattr(module, name) is getattr(models_package, name), name
    assert set(names) <= set(module.__all__)


def test_the_dashboard_is_the_usage_records_proxy_without_a_table_of_its_own() -> None:
    assert telemetry.Dashboard._meta.proxy
    assert telemetry.Dashboard._meta.concrete_model is telemetry.LLMUsageRecord
