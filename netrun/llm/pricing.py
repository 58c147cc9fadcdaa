"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.policy.pricing` now."""

from __future__ import annotations

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

__all__ = [
    "DEFAULT_PRICES",
    "PRICE_ROW_FIELDS",
    "CostTier",
    "ModelPrice",
    "PriceRowError",
    "PriceTable",
    "cost_for",
    "current_price_table",
    "default_price_table",
    "model_aliases",
    "normalize_provider",
    "price_from_row",
    "set_price_source",
]
