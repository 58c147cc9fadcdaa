"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.policy` now."""

from __future__ import annotations

from netrun.errors import BudgetExceededError
from netrun.llm.policy.enforcer import PolicyEnforcer
from netrun.llm.policy.pricing import CostTier
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

__all__ = [
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
]
