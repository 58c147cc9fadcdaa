"""The built-in price rows: providers' published list prices, with the date each took effect.

Each row holds the keyword arguments of a :class:`~netrun.llm.policy.pricing.ModelPrice`;
:data:`~netrun.llm.policy.pricing.DEFAULT_PRICES` is these rows built. A price that changed
keeps its history (a call is priced at the price of its day). The numbers are list prices as
published when this table was written; pass your own rows (negotiated prices, Azure regional
prices) to :meth:`~netrun.llm.policy.pricing.PriceTable.with_overrides`.

Long-context tiers: a row may carry ``long_context_threshold`` and the prices that apply when
the prompt (input + cache read + cache write tokens) is above it, for the whole call (Gemini
2.5 Pro above 200k prompt tokens; Claude Sonnet 4/4.5 with the 1M context window).

Framework-neutral: plain data, no import of the rest of netrun.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

__all__ = ["BUILT_IN_ROWS"]


def _d(value: str) -> Decimal:
    return Decimal(value)


def _row(
    provider: str, model: str, inp: Decimal, out: Decimal, since: dt.date, **more: Any
) -> dict[str, Any]:
    return {
        "provider": provider,
        "model": model,
        "input_per_mtok": inp,
        "output_per_mtok": out,
        "effective_from": since,
        **more,
    }


def _openai(
    model: str, inp: str, out: str, cached: str | None, since: dt.date
) -> list[dict[str, Any]]:
    # OpenAI bills cached prompt tokens at a discount and charges nothing extra to write the
    # cache. Azure OpenAI's global deployments list the same prices for the same models.
    return [
        _row(
            provider,
            model,
            _d(inp),
            _d(out),
            since,
            cache_read_per_mtok=None if cached is None else _d(cached),
        )
        for provider in ("openai", "azure_openai")
    ]


def _anthropic(
    model: str,
    inp: str,
    out: str,
    since: dt.date,
    long_context: tuple[str, str] | None = None,
    cache: tuple[str, str] | None = None,
) -> dict[str, Any]:
    # Anthropic: a cache read costs 0.1x the input price, a (5-minute) cache write 1.25x; the
    # multipliers apply to the long-context input price too. Long context (the 1M-token
    # window of Sonnet 4 and 4.5): every token of a request above 200k input tokens.
    # ``cache``: (read, write) where the price page lists other prices (Claude Haiku 3).
    base = _d(inp)
    read, write = base * Decimal("0.1"), base * Decimal("1.25")
    if cache is not None:
        read, write = _d(cache[0]), _d(cache[1])
    tier: dict[str, Any] = {}
    if long_context is not None:
        long_input = _d(long_context[0])
        tier = {
            "long_context_threshold": 200_000,
            "long_context_input_per_mtok": long_input,
            "long_context_output_per_mtok": _d(long_context[1]),
            "long_context_cache_read_per_mtok": long_input * Decimal("0.1"),
            "long_context_cache_write_per_mtok": long_input * Decimal("1.25"),
        }
    return _row(
        "anthropic",
        model,
        base,
        _d(out),
        since,
        cache_read_per_mtok=read,
        cache_write_per_mtok=write,
        **tier,
    )


def _gemini(
    model: str,
    inp: str,
    out: str,
    cached: str,
    since: dt.date,
    long_context: tuple[int, str, str, str] | None = None,
) -> dict[str, Any]:
    # ``long_context``: (prompt tokens threshold, input, output, cache read above it).
    tier: dict[str, Any] = {}
    if long_context is not None:
        threshold, long_input, long_output, long_cached = long_context
        tier = {
            "long_context_threshold": threshold,
            "long_context_input_per_mtok": _d(long_input),
            "long_context_output_per_mtok": _d(long_output),
            "long_context_cache_read_per_mtok": _d(long_cached),
        }
    return _row("gemini", model, _d(inp), _d(out), since, cache_read_per_mtok=_d(cached), **tier)


_D = dt.date

BUILT_IN_ROWS: tuple[dict[str, Any], ...] = (
    # ------------------------------------------------------------------ OpenAI / Azure OpenAI
    *_openai("gpt-4o", "5.00", "15.00", None, _D(2024, 5, 13)),
    *_openai("gpt-4o", "2.50", "10.00", "1.25", _D(2024, 10, 2)),
    *_openai("gpt-4o-mini", "0.15", "0.60", "0.075", _D(2024, 7, 18)),
    *_openai("gpt-4.1", "2.00", "8.00", "0.50", _D(2025, 4, 14)),
    *_openai("gpt-4.1-mini", "0.40", "1.60", "0.10", _D(2025, 4, 14)),
    *_openai("gpt-4.1-nano", "0.10", "0.40", "0.025", _D(2025, 4, 14)),
    *_openai("gpt-5", "1.25", "10.00", "0.125", _D(2025, 8, 7)),
    *_openai("gpt-5-mini", "0.25", "2.00", "0.025", _D(2025, 8, 7)),
    *_openai("gpt-5-nano", "0.05", "0.40", "0.005", _D(2025, 8, 7)),
    *_openai("o1", "15.00", "60.00", "7.50", _D(2024, 12, 17)),
    *_openai("o3", "10.00", "40.00", "2.50", _D(2025, 4, 16)),
    *_openai("o3", "2.00", "8.00", "0.50", _D(2025, 6, 10)),
    *_openai("o3-mini", "1.10", "4.40", "0.55", _D(2025, 1, 31)),
    *_openai("o4-mini", "1.10", "4.40", "0.275", _D(2025, 4, 16)),
    *_openai("gpt-4-turbo", "10.00", "30.00", None, _D(2024, 4, 9)),
    *_openai("gpt-3.5-turbo", "0.50", "1.50", None, _D(2024, 1, 25)),
    # Embeddings bill the input only.
    *_openai("text-embedding-3-small", "0.02", "0", None, _D(2024, 1, 25)),
    *_openai("text-embedding-3-large", "0.13", "0", None, _D(2024, 1, 25)),
    *_openai("text-embedding-ada-002", "0.10", "0", None, _D(2022, 12, 15)),
    # ------------------------------------------------------------------ Anthropic
    _anthropic("claude-opus-4-5", "5.00", "25.00", _D(2025, 11, 24)),
    _anthropic("claude-opus-4-1", "15.00", "75.00", _D(2025, 8, 5)),
    _anthropic("claude-opus-4", "15.00", "75.00", _D(2025, 5, 22)),
    _anthropic("claude-sonnet-4-5", "3.00", "15.00", _D(2025, 9, 29), ("6.00", "22.50")),
    _anthropic("claude-sonnet-4", "3.00", "15.00", _D(2025, 5, 22), ("6.00", "22.50")),
    _anthropic("claude-haiku-4-5", "1.00", "5.00", _D(2025, 10, 15)),
    _anthropic("claude-3-7-sonnet", "3.00", "15.00", _D(2025, 2, 24)),
    _anthropic("claude-3-5-sonnet", "3.00", "15.00", _D(2024, 6, 20)),
    _anthropic("claude-3-5-haiku", "0.80", "4.00", _D(2024, 11, 4)),
    _anthropic("claude-3-opus", "15.00", "75.00", _D(2024, 3, 4)),
    # Haiku 3's cache prices are not 0.1x / 1.25x: $0.03 reads, $0.30 5-minute writes.
    _anthropic("claude-3-haiku", "0.25", "1.25", _D(2024, 3, 13), cache=("0.03", "0.30")),
    # ------------------------------------------------------------------ Google Gemini
    _gemini(
        "gemini-2.5-pro",
        "1.25",
        "10.00",
        "0.125",
        _D(2025, 6, 17),
        (200_000, "2.50", "15.00", "0.25"),
    ),
    _gemini("gemini-2.5-flash", "0.30", "2.50", "0.075", _D(2025, 6, 17)),
    _gemini("gemini-2.5-flash-lite", "0.10", "0.40", "0.025", _D(2025, 7, 22)),
    _gemini("gemini-2.0-flash", "0.10", "0.40", "0.025", _D(2025, 2, 5)),
    _gemini(
        "gemini-1.5-pro",
        "1.25",
        "5.00",
        "0.3125",
        _D(2024, 10, 1),
        (128_000, "2.50", "10.00", "0.625"),
    ),
    _gemini(
        "gemini-1.5-flash",
        "0.075",
        "0.30",
        "0.01875",
        _D(2024, 8, 12),
        (128_000, "0.15", "0.60", "0.0375"),
    ),
    # ------------------------------------------------------------------ local
    _row("ollama", "*", Decimal(0), Decimal(0), _D(2023, 1, 1)),
)
