"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.policy.ledgers.sql` now."""

from __future__ import annotations

from netrun.llm.policy.ledgers.sql import (
    DDL,
    SQLLedger,
)

__all__ = [
    "DDL",
    "SQLLedger",
]
