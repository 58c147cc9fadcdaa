"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.policy.ledgers.base` now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netrun.core import deprecated_aliases
from netrun.llm.policy.ledgers.base import (
    BudgetLedger,
    BudgetListener,
    BudgetWindow,
    Period,
    ReservationRefused,
    WindowUsage,
    add_budget_listener,
    budget_listeners,
    from_micros,
    remove_budget_listener,
    to_micros,
    windows_for,
)

__all__ = [
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
]


# Renamed in 2.1 (one name, one meaning); the old names warn until 3.0.
if TYPE_CHECKING:
    BudgetExhausted = ReservationRefused
else:
    __getattr__ = deprecated_aliases(__name__, {"BudgetExhausted": "ReservationRefused"})
