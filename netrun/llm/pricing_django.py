"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.policy.django` now."""

from __future__ import annotations

from netrun.llm.policy.django import (
    CACHE_SECONDS,
    admin_prices,
    invalidate_prices,
    price_table,
    settings_prices,
)

__all__ = [
    "CACHE_SECONDS",
    "admin_prices",
    "invalidate_prices",
    "price_table",
    "settings_prices",
]
