"""The module paths of the policy layer before 2.1 still import, and give the very same objects."""

from __future__ import annotations

import importlib

import pytest

# Each old module, where its names live now, and its __all__ as 2.0 shipped it.
OLD_PATHS = [
    (
        "netrun.llm.policies",
        "netrun.llm.policy",
        [
            "BudgetExceededError",
            "CostTier",
            "PolicyDecision",
            "PolicyEnforcer",
            "PolicyViolationError",
            "ProviderPolicy",
            "Reservation",
            "TenantPolicy",
            "drain_pending_settlements",
            "pending_settlements",
        ],
    ),
    (
        "netrun.llm.pricing",
        "netrun.llm.policy.pricing",
        [
            "CostTier",
            "DEFAULT_PRICES",
            "ModelPrice",
            "PRICE_ROW_FIELDS",
            "PriceRowError",
            "PriceTable",
            "cost_for",
            "current_price_table",
            "default_price_table",
            "model_aliases",
            "normalize_provider",
            "price_from_row",
            "set_price_source",
        ],
    ),
    (
        "netrun.llm.pricing_django",
        "netrun.llm.policy.django",
        ["CACHE_SECONDS", "admin_prices", "invalidate_prices", "price_table", "settings_prices"],
    ),
    (
        "netrun.llm.budgets",
        "netrun.llm.policy.ledgers",
        [
            "BudgetLedger",
            "BudgetWindow",
            "MemoryLedger",
            "Period",
            "ReservationRefused",
            "WindowUsage",
            "build_ledger",
            "default_ledger",
            "from_micros",
            "ledger_setting_problem",
            "reset_default_ledger",
            "to_micros",
            "windows_for",
        ],
    ),
    (
        "netrun.llm.budgets.base",
        "netrun.llm.policy.ledgers.base",
        [
            "BudgetLedger",
            "BudgetListener",
            "BudgetWindow",
            "Period",
            "ReservationRefused",
            "WindowUsage",
            "add_budget_listener",
            "budget_listeners",
            "from_micros",
            "remove_budget_listener",
            "to_micros",
            "windows_for",
        ],
    ),
    ("netrun.llm.budgets.memory", "netrun.llm.policy.ledgers.memory", ["MemoryLedger"]),
    (
        "netrun.llm.budgets.redis",
        "netrun.llm.policy.ledgers.redis",
        ["CLUSTER_SCHEME", "RedisLedger", "ReplicationError"],
    ),
    ("netrun.llm.budgets.sql", "netrun.llm.policy.ledgers.sql", ["DDL", "SQLLedger"]),
    ("netrun.llm.budgets.django", "netrun.llm.policy.ledgers.django", ["DjangoLedger"]),
]


@pytest.mark.parametrize(("old", "new", "names"), OLD_PATHS, ids=[old for old, _, _ in OLD_PATHS])
def test_an_old_path_exports_what_it_did_and_each_name_is_the_new_object(
    old: str, new: str, names: list[str]
) -> None:
    old_module, new_module = importlib.import_module(old), importlib.import_module(new)
    assert sorted(old_module.__all__) == sorted(names)
    for name in names:
        assert getattr(old_module, name) is getattr(new_module, name), name


def test_the_policy_package_exports_every_name_of_the_old_policies_module() -> None:
    import netrun.llm.policies
    import netrun.llm.policy

    assert set(netrun.llm.policies.__all__) <= set(netrun.llm.policy.__all__)


def test_an_enforcer_imported_from_the_old_path_settles_into_the_new_ledger() -> None:
    from netrun.llm.budgets import MemoryLedger as OldLedger
    from netrun.llm.policies import PolicyEnforcer as OldEnforcer
    from netrun.llm.policies import TenantPolicy as OldPolicy
    from netrun.llm.policy.ledgers import Period
    from netrun.llm.types import Usage

    ledger = OldLedger()
    enforcer = OldEnforcer(OldPolicy("acme", daily_budget_usd=1), ledger=ledger)
    reservation = enforcer.reserve(
        provider="openai", model="gpt-4o-mini", estimated_input_tokens=1000, max_output_tokens=10
    )
    reservation.settle(Usage(input_tokens=1000, output_tokens=10))
    day = next(w for w in reservation.windows if w.period is Period.DAY)
    usage = ledger.usage("acme", day)
    # 1000 x $0.15/M + 10 x $0.60/M = 156 micro-dollars, charged once; the hold is gone.
    assert (usage.spent, usage.reserved) == (156, 0)
