"""Long-context tiers, known list prices, and pricing through the client for both usage
conventions (OpenAI's prompt_tokens include cached tokens; Anthropic's input_tokens do not)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from structlog.testing import capture_logs

from netrun.llm import LLMClient
from netrun.llm.adapters import AnthropicAdapter, OpenAIAdapter
from netrun.llm.policy import PolicyEnforcer, TenantPolicy
from netrun.llm.policy.pricing import ModelPrice, PriceTable, cost_for, default_price_table
from netrun.llm.telemetry import InMemorySink, TelemetryCollector
from netrun.llm.testing import StubLLMServer, StubReply, StubUsage

TODAY = dt.date(2025, 12, 1)
KEY = "sk-test-0123456789abcdefghij"
M = 1_000_000


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


def test_pins_gemini_2_5_pro_below_and_above_200k_prompt_tokens() -> None:
    price = default_price_table().lookup("gemini", "gemini-2.5-pro", TODAY)
    assert price is not None
    assert price.long_context_threshold == 200_000
    short = Usage(input_tokens=200_000, output_tokens=10_000)
    long = Usage(input_tokens=200_001, output_tokens=10_000)
    assert price.usage_cost(short) == Decimal("0.25") + Decimal("0.1")  # $1.25 / $10
    assert price.usage_cost(long) == (200_001 * Decimal("2.50") + 10_000 * 15) / M


def test_a_cache_price_the_row_lacks_is_the_input_price_in_force_above_the_threshold() -> None:
    """Gemini's rows set no cache-write price: above the threshold a cache write costs the
    long-context input price, as an input token there does (it cost the short one before)."""
    price = default_price_table().lookup("gemini", "gemini-2.5-pro", TODAY)
    assert price is not None
    assert price.cache_write_per_mtok is None
    long = price.for_prompt(200_001)
    assert long.cache_write_per_mtok == long.input_per_mtok == Decimal("2.50")
    assert long.cache_read_per_mtok == Decimal("0.25")  # the row's own long cache-read price
    assert (
        price.usage_cost(Usage(input_tokens=1, cache_write_tokens=200_000))
        == (200_001 * Decimal("2.50")) / M
    )
    plain = ModelPrice("x", "m", Decimal(1), Decimal(2), TODAY, long_context_threshold=10,
                       long_context_input_per_mtok=Decimal(3))  # fmt: skip
    assert plain.for_prompt(11).cache_read_per_mtok == Decimal(3)
    assert plain.for_prompt(10).cache_read_per_mtok is None  # below: the row itself


@pytest.mark.parametrize("model", ["claude-sonnet-4-5-20250929", "claude-sonnet-4"])
def test_claude_sonnet_long_context_doubles_input_and_applies_the_cache_multipliers(
    model: str,
) -> None:
    usage = Usage(
        input_tokens=150_000,
        cache_read_tokens=50_000,
        cache_write_tokens=1,  # the prompt is input + cache read + cache write: 200_001
        output_tokens=M,
    )
    cost = cost_for("anthropic", model, usage, at=TODAY)
    # Above 200k: input $6, output $22.50, cache read 0.1x $6, cache write 1.25x $6.
    expected = (150_000 * Decimal(6) + 50_000 * Decimal("0.6") + 1 * Decimal("7.5")) / M
    assert cost == expected + Decimal("22.5")
    below = Usage(input_tokens=150_000, cache_read_tokens=50_000, output_tokens=M)
    assert cost_for("anthropic", model, below, at=TODAY) == (
        Decimal("0.45") + Decimal("0.015") + Decimal(15)
    )


@pytest.mark.parametrize(
    ("provider", "model", "inp", "out", "read"),
    [
        ("openai", "gpt-4.1", "2.00", "8.00", "0.50"),
        ("azure_openai", "gpt-4o-mini", "0.15", "0.60", "0.075"),
        ("anthropic", "claude-opus-4-1", "15.00", "75.00", "1.50"),
        ("gemini", "gemini-2.5-flash", "0.30", "2.50", "0.075"),
        ("ollama", "llama3.2", "0", "0", "0"),
    ],
)
def test_pins_known_list_prices_and_models_without_a_tier(
    provider: str, model: str, inp: str, out: str, read: str
) -> None:
    price = default_price_table().lookup(provider, model, TODAY)
    assert price is not None
    flat = price.for_prompt(900_000)
    assert (flat.input_per_mtok, flat.output_per_mtok) == (Decimal(inp), Decimal(out))
    cached = flat.input_per_mtok if flat.cache_read_per_mtok is None else flat.cache_read_per_mtok
    assert cached == Decimal(read)
    assert price.long_context_threshold is None


def test_a_long_context_price_defaults_each_missing_tier_price_to_the_short_one() -> None:
    price = ModelPrice(
        "openai",
        "custom",
        Decimal(1),
        Decimal(2),
        TODAY,
        cache_read_per_mtok=Decimal("0.5"),
        long_context_threshold=10,
        long_context_input_per_mtok=Decimal(3),
    )
    assert price.cost(input_tokens=10, output_tokens=M) == Decimal(2) + Decimal("0.00001")
    above = price.for_prompt(11)
    assert (above.input_per_mtok, above.output_per_mtok) == (Decimal(3), Decimal(2))
    # The short cache-read price carries over; the row has no cache-write price, so a cache
    # write costs what an input token costs there: the long input price.
    assert (above.cache_read_per_mtok, above.cache_write_per_mtok) == (Decimal("0.5"), Decimal(3))
    assert above.long_context_threshold is None


def test_a_budget_reservation_holds_the_long_context_price() -> None:
    enforcer = PolicyEnforcer(TenantPolicy("acme", daily_budget_usd=100))
    short = enforcer.reserve(
        provider="gemini",
        model="gemini-2.5-pro",
        estimated_input_tokens=100_000,
        max_output_tokens=10_000,
    )
    long = enforcer.reserve(
        provider="gemini",
        model="gemini-2.5-pro",
        estimated_input_tokens=300_000,
        max_output_tokens=10_000,
    )
    assert short.amount_usd == Decimal("0.225")  # 0.125 + 0.1
    assert long.amount_usd == Decimal("0.9")  # 300k x $2.50 + 10k x $15
    # Without the split, every token is priced at the highest long-context price.
    decision = enforcer.validate_request("gemini", "gemini-2.5-pro", estimated_tokens=300_000)
    assert decision.estimated_cost_usd == Decimal("4.5")  # 300k x $15
    short.release()
    long.release()


def test_with_overrides_replaces_the_history_from_the_override_on() -> None:
    negotiated = ModelPrice("openai", "gpt-4o", Decimal(1), Decimal(2), dt.date(2024, 6, 1))
    table = default_price_table().with_overrides([negotiated])
    # A built-in price change after the override's date no longer applies...
    assert table.lookup("openai", "gpt-4o", TODAY) == negotiated
    # ...earlier history does, and other models are untouched.
    assert table.lookup("openai", "gpt-4o", dt.date(2024, 5, 20)).input_per_mtok == 5  # type: ignore[union-attr]
    assert table.lookup("openai", "gpt-4o-mini", TODAY) == default_price_table().lookup(
        "openai", "gpt-4o-mini", TODAY
    )
    assert default_price_table().with_overrides([]) is default_price_table()
    assert isinstance(table, PriceTable)


# ------------------------------------------------------------ through the client


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(lifetime=60) as server:
        yield server


@pytest.fixture
def telemetry() -> Iterator[tuple[TelemetryCollector, InMemorySink]]:
    sink = InMemorySink()
    collector = TelemetryCollector(sinks=[sink], background=False)
    yield collector, sink
    collector.close()


CACHED = StubUsage(input_tokens=1_000, cache_read_tokens=9_000, output_tokens=500)


def test_openai_prompt_tokens_include_cached_ones_and_are_priced_once(
    stub: StubLLMServer, telemetry: tuple[TelemetryCollector, InMemorySink]
) -> None:
    collector, sink = telemetry
    stub.script(StubReply(usage=CACHED))
    adapter = OpenAIAdapter(api_key=KEY, base_url=stub.openai_base_url, model="gpt-4o")
    response = LLMClient([adapter], telemetry=collector).chat("hi")
    collector.flush()
    # The wire said prompt_tokens=10000 with cached_tokens=9000.
    assert (response.usage.input_tokens, response.usage.cache_read_tokens) == (1_000, 9_000)
    [record] = sink.records
    assert record.cost_usd == (1_000 * Decimal("2.50") + 9_000 * Decimal("1.25") + 500 * 10) / M


def test_anthropic_input_tokens_exclude_cached_ones_and_are_priced_once(
    stub: StubLLMServer, telemetry: tuple[TelemetryCollector, InMemorySink]
) -> None:
    collector, sink = telemetry
    stub.script(StubReply(usage=CACHED))
    adapter = AnthropicAdapter(
        api_key=KEY, base_url=stub.anthropic_base_url, model="claude-haiku-4-5"
    )
    response = LLMClient([adapter], telemetry=collector).chat("hi")
    collector.flush()
    assert (response.usage.input_tokens, response.usage.cache_read_tokens) == (1_000, 9_000)
    [record] = sink.records
    assert record.cost_usd == (1_000 * 1 + 9_000 * Decimal("0.1") + 500 * 5) / M


def test_an_unknown_model_through_the_client_is_counted_and_reported_never_free(
    stub: StubLLMServer, telemetry: tuple[TelemetryCollector, InMemorySink]
) -> None:
    collector, sink = telemetry
    stub.script(StubReply(model="gpt-99-imaginary"))
    adapter = OpenAIAdapter(api_key=KEY, base_url=stub.openai_base_url, model="gpt-99-imaginary")
    enforcer = PolicyEnforcer(TenantPolicy("acme"))  # no budget: an unpriced call may run
    with capture_logs() as logs:
        LLMClient([adapter], telemetry=collector, enforcer=enforcer).chat("hi")
        collector.flush()
    [record] = sink.records
    assert record.cost_usd is None
    assert not record.priced
    assert collector.stats().unpriced == 1
    assert collector.get_aggregated_metrics(hours=1).unpriced_requests == 1
    events = {entry["event"] for entry in logs}
    assert {"llm_cost_unknown", "llm_telemetry_unpriced_model"} <= events


def test_claude_haiku_3_has_its_own_cache_prices_not_the_multipliers() -> None:
    # Anthropic's price page: Haiku 3 cache hits $0.03 and 5-minute cache writes $0.30, not
    # 0.1x / 1.25x of its $0.25 input (the price drift report against genai-prices found it).
    usage = Usage(cache_read_tokens=M, cache_write_tokens=M)
    assert cost_for("anthropic", "claude-3-haiku-20240307", usage, at=TODAY) == Decimal("0.33")
