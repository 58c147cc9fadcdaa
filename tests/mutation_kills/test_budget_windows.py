"""BudgetWindow: a mutant of ``make mutation`` the ledger tests let live."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from netrun.llm.policy.ledgers.base import Period, period_window


def test_a_window_cannot_be_changed_once_made() -> None:
    # Kills `frozen=True` -> `False`. Windows are cached by the enforcer and shared by every
    # concurrent call of a tenant, and a window's key is computed once: changing one in place
    # would move a call's hold to another period or scope.
    now = dt.datetime(2026, 12, 5, 12, tzinfo=dt.timezone.utc)
    window = period_window(now, Period.DAY, limit=1_000, scope="user:7")
    with pytest.raises(dataclasses.FrozenInstanceError):
        window.scope = "user:8"  # type: ignore[misc]
    assert window.key == "user:7/day:2026-12-05"
