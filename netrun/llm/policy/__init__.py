"""The policy layer: per-tenant rules, budgets no concurrent calls can overspend, and prices.

* :mod:`~netrun.llm.policy.rules` - :class:`TenantPolicy`, :class:`ProviderPolicy` and the
  rules a call is checked against, in order.
* :mod:`~netrun.llm.policy.enforcer` - :class:`PolicyEnforcer`: checks a call and holds its
  worst-case cost in the budgets.
* :mod:`~netrun.llm.policy.reservation` - :class:`Reservation`, settled or released once, and
  the outbox of settlements a ledger refused.
* :mod:`~netrun.llm.policy.pricing` - :class:`PriceTable`, :class:`ModelPrice`,
  :func:`cost_for`; the built-in rows are in :mod:`~netrun.llm.policy.prices`.
* :mod:`~netrun.llm.policy.ledgers` - where holds and spend live: memory, Redis, PostgreSQL,
  the Django ORM.
* :mod:`~netrun.llm.policy.django` - Django glue: the price table with settings and admin rows.

Before 2.1 these lived in ``netrun.llm.policies``, ``netrun.llm.pricing``,
``netrun.llm.pricing_django`` and ``netrun.llm.budgets``; those paths still import.

Framework-neutral: no Django import (the Django ledger and glue are imported by path).
"""

from __future__ import annotations

from netrun.errors import BudgetExceededError
from netrun.llm.policy.enforcer import PolicyEnforcer
from netrun.llm.policy.ledgers import (
    BudgetLedger,
    BudgetWindow,
    MemoryLedger,
    Period,
    ReservationRefused,
    WindowUsage,
    build_ledger,
    default_ledger,
    reset_default_ledger,
)
from netrun.llm.policy.pricing import (
    DEFAULT_PRICES,
    PRICE_ROW_FIELDS,
    CostTier,
    ModelPrice,
    PriceRowError,
    PriceTable,
    cost_for,
    current_price_table,
    default_price_table,
    model_aliases,
    normalize_provider,
    price_from_row,
    set_price_source,
)
from netrun.llm.policy.reservation import (
    Reservation,
    drain_pending_settlements,
    pending_settlements,
)
from netrun.llm.policy.rules import (
    PolicyDecision,
    PolicyViolationError,
    ProviderPolicy,
    TenantPolicy,
)
from netrun.llm.policy.scopes import ScopeBudget

__all__ = [
    "DEFAULT_PRICES",
    "PRICE_ROW_FIELDS",
    "BudgetExceededError",
    "BudgetLedger",
    "BudgetWindow",
    "CostTier",
    "MemoryLedger",
    "ModelPrice",
    "Period",
    "PolicyDecision",
    "PolicyEnforcer",
    "PolicyViolationError",
    "PriceRowError",
    "PriceTable",
    "ProviderPolicy",
    "Reservation",
    "ReservationRefused",
    "ScopeBudget",
    "TenantPolicy",
    "WindowUsage",
    "build_ledger",
    "cost_for",
    "current_price_table",
    "default_ledger",
    "default_price_table",
    "drain_pending_settlements",
    "model_aliases",
    "normalize_provider",
    "pending_settlements",
    "price_from_row",
    "reset_default_ledger",
    "set_price_source",
]
