"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.policy.ledgers.django` now."""

from __future__ import annotations

from netrun.llm.policy.ledgers.django import DjangoLedger

__all__ = [
    "DjangoLedger",
]
