"""The ``netrun_llm`` app's models, one module per feature; Django discovers them here.

- :mod:`~netrun.llm.models.policy`: tenant policies, provider rules, scope budgets, and
  :func:`get_tenant_policy`, which reads them through Django's cache;
- :mod:`~netrun.llm.models.budgets`: the budget ledger's tables;
- :mod:`~netrun.llm.models.alerts`: budget alerts that fired, once each;
- :mod:`~netrun.llm.models.pricing`: price overrides edited in the admin;
- :mod:`~netrun.llm.models.telemetry`: one usage record per request, and the dashboard's
  admin entry;
- :mod:`~netrun.llm.models.rollups`: hourly totals and latency histograms of the records;
- :mod:`~netrun.llm.models.routing`: model aliases and routing groups edited in the admin.

Import them from here (``from netrun.llm.models import TenantPolicyRecord``), as before 2.1;
``netrun.llm.telemetry_models`` still names the telemetry models too.
"""

from __future__ import annotations

from netrun.llm.models.alerts import BudgetAlert
from netrun.llm.models.budgets import BudgetAccount, BudgetReservation, BudgetSpend, current_spend
from netrun.llm.models.policy import (
    ProviderRule,
    ScopeBudgetRecord,
    TenantPolicyRecord,
    get_tenant_policy,
    invalidate_tenant_policy,
)
from netrun.llm.models.pricing import LLMPriceOverride
from netrun.llm.models.rollups import LLMLatencyHistogram, LLMUsageHourly, LLMUsageScopeDaily
from netrun.llm.models.routing import ModelAlias
from netrun.llm.models.telemetry import Dashboard, LLMUsageRecord, LLMUsageTag

__all__ = [
    "BudgetAccount",
    "BudgetAlert",
    "BudgetReservation",
    "BudgetSpend",
    "Dashboard",
    "LLMLatencyHistogram",
    "LLMPriceOverride",
    "LLMUsageHourly",
    "LLMUsageRecord",
    "LLMUsageScopeDaily",
    "LLMUsageTag",
    "ModelAlias",
    "ProviderRule",
    "ScopeBudgetRecord",
    "TenantPolicyRecord",
    "current_spend",
    "get_tenant_policy",
    "invalidate_tenant_policy",
]
