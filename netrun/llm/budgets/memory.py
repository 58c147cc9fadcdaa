"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.policy.ledgers.memory` now."""

from __future__ import annotations

from netrun.llm.policy.ledgers.memory import MemoryLedger

__all__ = [
    "MemoryLedger",
]
