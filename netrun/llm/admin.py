"""The LLM app's admin, for Django's autodiscovery: each feature registers its own.

- :mod:`netrun.llm.policy.admin`: tenant policies with their provider rules and spend, the
  ledger's spend rows, price overrides;
- :mod:`netrun.llm.telemetry.admin`: the spend dashboard's page in the admin site;
- :mod:`netrun.llm.resilience.admin`: model aliases and routing groups.

The names below are kept for imports written before 2.1: they live in those modules now.
"""

from __future__ import annotations

import netrun.llm.policy.admin_alerts  # registers the budget alerts' history
import netrun.llm.resilience.admin  # noqa: F401 - registers its ModelAdmins
from netrun.llm.policy.admin import (
    BudgetSpendAdmin,
    LLMPriceOverrideAdmin,
    ProviderRuleInline,
    TenantNameMixin,
    TenantPolicyRecordAdmin,
    spend_bar,
)
from netrun.llm.telemetry.admin import DashboardAdmin

__all__ = [
    "BudgetSpendAdmin",
    "DashboardAdmin",
    "LLMPriceOverrideAdmin",
    "ProviderRuleInline",
    "TenantNameMixin",
    "TenantPolicyRecordAdmin",
    "spend_bar",
]
