"""Prices per 1M tokens as Decimal, with history, aliases and cache multipliers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from netrun.llm.policy.pricing import (
    DEFAULT_PRICES,
    CostTier,
    ModelPrice,
    PriceTable,
    cost_for,
    default_price_table,
    model_aliases,
    normalize_provider,
)
from netrun.llm.types import UsageShapeError

TODAY = dt.date(2025, 12, 1)


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@pytest.mark.parametrize(
    ("provider", "model", "inp", "out"),
    [
        ("openai", "gpt-4o", "2.50", "10.00"),
        ("openai", "gpt-4o-mini", "0.15", "0.60"),
        ("azure_openai", "gpt-4.1", "2.00", "8.00"),
        ("anthropic", "claude-sonnet-4-5", "3.00", "15.00"),
        ("anthropic", "claude-haiku-4-5", "1.00", "5.00"),
        ("gemini", "gemini-2.5-pro", "1.25", "10.00"),
    ],
)
def test_pins_known_list_prices(provider: str, model: str, inp: str, out: str) -> None:
    price = default_price_table().lookup(provider, model, TODAY)
    assert price is not None
    assert (price.input_per_mtok, price.output_per_mtok) == (Decimal(inp), Decimal(out))


def test_covers_25_models_of_every_provider() -> None:
    models = {(p.provider, p.model) for p in DEFAULT_PRICES}
    assert len(models) >= 25
    assert {p for p, _ in models} == {"openai", "azure_openai", "anthropic", "gemini", "ollama"}
    assert all(isinstance(p.input_per_mtok, Decimal) for p in DEFAULT_PRICES)


def test_a_call_is_priced_at_the_price_of_its_day() -> None:
    table = default_price_table()
    assert table.lookup("openai", "gpt-4o", dt.date(2024, 6, 1)).input_per_mtok == 5  # type: ignore[union-attr]
    assert table.lookup("openai", "gpt-4o", dt.date(2024, 10, 2)).input_per_mtok == Decimal("2.5")  # type: ignore[union-attr]
    assert table.lookup("openai", "gpt-5", dt.date(2025, 1, 1)) is None  # not released yet


def test_anthropic_cache_reads_cost_a_tenth_and_writes_a_quarter_more() -> None:
    # 150k prompt tokens in all: below Sonnet's 200k long-context threshold.
    usage = Usage(
        input_tokens=50_000,
        output_tokens=50_000,
        cache_read_tokens=50_000,
        cache_write_tokens=50_000,
    )
    cost = cost_for("claude", "claude-sonnet-4-5-20250929", usage, at=TODAY)
    per_million = Decimal("3") + Decimal("15") + Decimal("0.3") + Decimal("3.75")
    assert cost == per_million * Decimal("0.05")


def test_openai_cached_tokens_are_discounted_and_cache_writes_cost_the_input_price() -> None:
    usage = Usage(input_tokens=1000, cache_read_tokens=1000, cache_write_tokens=1000)
    assert cost_for("openai", "gpt-4o", usage, at=TODAY) == Decimal("0.0025") * 2 + Decimal(
        "0.00125"
    )


def test_unknown_models_cost_none_never_zero() -> None:
    assert cost_for("openai", "gpt-99-ultra", Usage(input_tokens=10), at=TODAY) is None
    assert cost_for("mystery", "model", Usage(), at=TODAY) is None
    assert cost_for("openai", "gpt-4o-audio-preview", Usage(), at=TODAY) is None


def test_ollama_is_free_for_every_model() -> None:
    assert cost_for("ollama", "llama3.1:8b", Usage(10**6, 10**6), at=TODAY) == 0
    assert default_price_table().lookup("local", "qwen", TODAY).tier is CostTier.FREE  # type: ignore[union-attr]


def test_snapshots_and_paths_match_their_base_model() -> None:
    assert model_aliases("openai/GPT-4o-2024-08-06") == (
        "openai/gpt-4o-2024-08-06",
        "gpt-4o-2024-08-06",
        "gpt-4o",
    )
    assert default_price_table().lookup("google", "models/gemini-1.5-pro-002", TODAY) is not None
    assert normalize_provider("Azure") == "azure_openai"


def test_a_usage_missing_a_count_is_refused_not_priced_as_zero() -> None:
    class OnlyOutput:
        output_tokens = 1_000_000

    with pytest.raises(UsageShapeError, match="cannot read token usage from OnlyOutput"):
        cost_for("openai", "gpt-4o-mini", OnlyOutput(), at=TODAY)
    with pytest.raises(UsageShapeError, match="'output_tokens'"):
        cost_for("openai", "gpt-4o-mini", {"input_tokens": 5}, at=TODAY)


def test_overrides_win_over_the_defaults() -> None:
    negotiated = ModelPrice("openai", "gpt-4o", Decimal(1), Decimal(2), dt.date(2024, 10, 2))
    table = default_price_table().with_prices([negotiated])
    assert table.lookup("openai", "gpt-4o", TODAY) == negotiated
    assert len(PriceTable([negotiated])) == 1
    assert cost_for("openai", "gpt-4o", Usage(output_tokens=10**6), table=table, at=TODAY) == 2


@pytest.mark.parametrize(
    ("model", "tier"),
    [
        ("gpt-4o-mini", CostTier.LOW),
        ("gpt-4o", CostTier.MEDIUM),
        ("claude-opus-4-5", CostTier.HIGH),
        ("o1", CostTier.PREMIUM),
    ],
)
def test_tiers_follow_the_output_price(model: str, tier: CostTier) -> None:
    provider = "anthropic" if model.startswith("claude") else "openai"
    assert default_price_table().lookup(provider, model, TODAY).tier is tier  # type: ignore[union-attr]
