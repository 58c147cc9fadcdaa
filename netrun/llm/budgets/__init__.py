"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.policy.ledgers` now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netrun.core import deprecated_aliases
from netrun.llm.policy.ledgers import (
    BudgetLedger,
    BudgetWindow,
    MemoryLedger,
    Period,
    ReservationRefused,
    WindowUsage,
    build_ledger,
    default_ledger,
    from_micros,
    ledger_setting_problem,
    reset_default_ledger,
    to_micros,
    windows_for,
)

__all__ = [
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
]


# Renamed in 2.1 (one name, one meaning); the old names warn until 3.0.
if TYPE_CHECKING:
    BudgetExhausted = ReservationRefused
else:
    __getattr__ = deprecated_aliases(__name__, {"BudgetExhausted": "ReservationRefused"})
