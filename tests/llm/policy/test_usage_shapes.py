"""Settlement and telemetry read every usage the official SDKs return, and refuse the rest.

The usage objects come from real SDK calls (openai, Azure OpenAI, anthropic) against
netrun's stub server, or are the SDKs' own types built from the documented fields (the
Responses API, which the stub does not speak). Expected costs are list prices per 1M tokens
written out here: gpt-4o-mini $0.15 input, $0.075 cached input, $0.60 output;
claude-haiku-4-5 $1 input, $0.10 cache read, $1.25 cache write, $5 output.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import openai
import pytest
from anthropic.types import MessageDeltaUsage
from anthropic.types import Usage as AnthropicUsage
from openai.types import CompletionUsage
from openai.types.responses import ResponseUsage

from netrun.llm.policy import PolicyEnforcer, Reservation, TenantPolicy
from netrun.llm.policy.ledgers import MemoryLedger, Period
from netrun.llm.policy.pricing import cost_for
from netrun.llm.telemetry.collector import TelemetryCollector
from netrun.llm.telemetry.sinks.memory import InMemorySink
from netrun.llm.testing.stub import StubLLMServer, StubReply, StubUsage
from netrun.llm.types import Usage, UsageShapeError, usage_from
from netrun.logging.testing import capture_logs

API_KEY = "sk-test-0123456789abcdefghij"
NOW = dt.datetime(2025, 12, 1, 12, tzinfo=dt.timezone.utc)

# 1000 uncached + 4000 cached prompt tokens, 500 output (100 of them reasoning).
OPENAI_STUB = StubUsage(
    input_tokens=1000, cache_read_tokens=4000, output_tokens=500, reasoning_tokens=100
)
OPENAI_MICROS = 1000 * 0.15 + 4000 * 0.075 + 500 * 0.60  # 750
# 1000 uncached, 4000 cache reads, 2000 cache writes, 500 output.
ANTHROPIC_STUB = StubUsage(
    input_tokens=1000, cache_read_tokens=4000, cache_write_tokens=2000, output_tokens=500
)
ANTHROPIC_MICROS = 1000 * 1.00 + 4000 * 0.10 + 2000 * 1.25 + 500 * 5.00  # 6400

MESSAGES = [{"role": "user", "content": "Summarise the ticket."}]


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(lifetime=60) as server:
        yield server


def held(provider: str, model: str) -> tuple[PolicyEnforcer, Reservation]:
    ledger = MemoryLedger()
    enforcer = PolicyEnforcer(
        TenantPolicy("acme", daily_budget_usd=1), ledger=ledger, clock=lambda: NOW
    )
    reservation = enforcer.reserve(
        provider=provider, model=model, estimated_input_tokens=10_000, max_output_tokens=1000
    )
    return enforcer, reservation


def spent(enforcer: PolicyEnforcer) -> int:
    day = next(w for w in enforcer._current_windows() if w.period is Period.DAY)
    usage = enforcer.ledger.usage("acme", day)
    assert usage.reserved == 0
    return usage.spent


# ---------------------------------------------------------------------- real SDK calls


def openai_chat(stub: StubLLMServer) -> Any:
    client = openai.OpenAI(api_key=API_KEY, base_url=stub.openai_base_url, max_retries=0)
    with client:
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000
        ).usage


def openai_chat_response(stub: StubLLMServer) -> Any:
    # The whole ChatCompletion: settle(response) reads response.usage.
    client = openai.OpenAI(api_key=API_KEY, base_url=stub.openai_base_url, max_retries=0)
    with client:
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000
        )


def openai_stream_final_chunk(stub: StubLLMServer) -> Any:
    client = openai.OpenAI(api_key=API_KEY, base_url=stub.openai_base_url, max_retries=0)
    with client:
        chunks = list(
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                max_tokens=1000,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    assert chunks[-1].usage is not None
    assert chunks[0].usage is None
    return chunks[-1]  # the final chunk: its usage is the whole call's


def azure_chat(stub: StubLLMServer) -> Any:
    client = openai.AzureOpenAI(
        api_key=API_KEY,
        azure_endpoint=stub.azure_endpoint,
        api_version="2024-10-21",
        max_retries=0,
    )
    with client:
        return client.chat.completions.create(
            model="chat-deployment", messages=MESSAGES, max_tokens=1000
        ).usage


def anthropic_message(stub: StubLLMServer) -> Any:
    client = anthropic.Anthropic(api_key=API_KEY, base_url=stub.anthropic_base_url, max_retries=0)
    with client:
        return client.messages.create(
            model="claude-haiku-4-5", messages=MESSAGES, max_tokens=1000
        ).usage


def anthropic_stream_final(stub: StubLLMServer) -> Any:
    client = anthropic.Anthropic(api_key=API_KEY, base_url=stub.anthropic_base_url, max_retries=0)
    with (
        client,
        client.messages.stream(
            model="claude-haiku-4-5", messages=MESSAGES, max_tokens=1000
        ) as stream,
    ):
        return stream.get_final_message().usage


SDK_CALLS: list[tuple[str, Callable[[StubLLMServer], Any], str, str, StubUsage, float]] = [
    ("openai-chat", openai_chat, "openai", "gpt-4o-mini", OPENAI_STUB, OPENAI_MICROS),
    ("openai-response", openai_chat_response, "openai", "gpt-4o-mini", OPENAI_STUB, OPENAI_MICROS),
    (
        "openai-stream",
        openai_stream_final_chunk,
        "openai",
        "gpt-4o-mini",
        OPENAI_STUB,
        OPENAI_MICROS,
    ),
    ("azure-chat", azure_chat, "azure_openai", "gpt-4o-mini", OPENAI_STUB, OPENAI_MICROS),
    (
        "anthropic",
        anthropic_message,
        "anthropic",
        "claude-haiku-4-5",
        ANTHROPIC_STUB,
        ANTHROPIC_MICROS,
    ),
    (
        "anthropic-stream",
        anthropic_stream_final,
        "anthropic",
        "claude-haiku-4-5",
        ANTHROPIC_STUB,
        ANTHROPIC_MICROS,
    ),
]


@pytest.mark.parametrize(
    ("call", "provider", "model", "stub_usage", "micros"),
    [case[1:] for case in SDK_CALLS],
    ids=[case[0] for case in SDK_CALLS],
)
@pytest.mark.parametrize("as_dict", [False, True], ids=["object", "dict"])
def test_settle_charges_what_a_real_sdk_call_reports(
    stub: StubLLMServer,
    call: Callable[[StubLLMServer], Any],
    provider: str,
    model: str,
    stub_usage: StubUsage,
    micros: float,
    as_dict: bool,
) -> None:
    stub.reply(usage=stub_usage)
    usage = call(stub)
    if as_dict:
        usage = usage.model_dump()  # what a cache or a JSON log hands back
    enforcer, reservation = held(provider, model)
    reservation.settle(usage)
    assert spent(enforcer) == round(micros) > 0
    assert reservation.cost is not None
    assert reservation.cost * 1_000_000 == round(micros)


def test_telemetry_records_the_tokens_and_cost_of_every_sdk_usage(stub: StubLLMServer) -> None:
    sink = InMemorySink()
    collector = TelemetryCollector(sinks=[sink], background=False)
    try:
        for _, call, provider, model, stub_usage, _micros in SDK_CALLS:
            stub.reply(usage=stub_usage)
            usage = call(stub)
            with collector.track_request(provider=provider, model=model) as tracker:
                tracker.set_usage(usage)
        collector.flush()
    finally:
        collector.close()
    records = sink.records
    assert len(records) == len(SDK_CALLS)
    for record, (_, _, _, _, stub_usage, micros) in zip(records, SDK_CALLS, strict=True):
        assert (
            record.input_tokens,
            record.cache_read_tokens,
            record.cache_write_tokens,
            record.output_tokens,
        ) == (
            stub_usage.input_tokens,
            stub_usage.cache_read_tokens,
            stub_usage.cache_write_tokens,
            stub_usage.output_tokens,
        )
        assert record.cost_usd is not None
        assert record.cost_usd * 1_000_000 == round(micros)


# ---------------------------------------------------------------------- SDK types, built


RESPONSES_USAGE = ResponseUsage.model_validate(
    {
        "input_tokens": 5000,  # includes the 4000 cached
        "input_tokens_details": {"cached_tokens": 4000, "cache_write_tokens": 0},
        "output_tokens": 500,
        "output_tokens_details": {"reasoning_tokens": 100},
        "total_tokens": 5500,
    }
)
CHAT_USAGE = CompletionUsage.model_validate(
    {
        "prompt_tokens": 5000,
        "completion_tokens": 500,
        "total_tokens": 5500,
        "prompt_tokens_details": {"cached_tokens": 4000},
        "completion_tokens_details": {"reasoning_tokens": 100},
    }
)
ANTHROPIC_USAGE = AnthropicUsage.model_validate(
    {
        "input_tokens": 1000,  # excludes cache reads and writes
        "output_tokens": 500,
        "cache_read_input_tokens": 4000,
        "cache_creation_input_tokens": 2000,
    }
)
# A stream's message_delta usage, cumulative (the API's current form).
ANTHROPIC_DELTA = MessageDeltaUsage.model_validate(
    {
        "input_tokens": 1000,
        "output_tokens": 500,
        "cache_read_input_tokens": 4000,
        "cache_creation_input_tokens": 2000,
    }
)


@pytest.mark.parametrize(
    ("usage", "provider", "model", "micros"),
    [
        (RESPONSES_USAGE, "openai", "gpt-4o-mini", OPENAI_MICROS),
        (RESPONSES_USAGE.model_dump(), "openai", "gpt-4o-mini", OPENAI_MICROS),
        (CHAT_USAGE, "azure_openai", "gpt-4o-mini", OPENAI_MICROS),
        (ANTHROPIC_USAGE, "anthropic", "claude-haiku-4-5", ANTHROPIC_MICROS),
        (ANTHROPIC_DELTA, "anthropic", "claude-haiku-4-5", ANTHROPIC_MICROS),
        (ANTHROPIC_DELTA.model_dump(), "anthropic", "claude-haiku-4-5", ANTHROPIC_MICROS),
        (
            Usage(1000, cache_read_tokens=4000, output_tokens=500).as_dict(),
            "openai",
            "gpt-4o-mini",
            OPENAI_MICROS,
        ),
        ({"prompt_tokens": 5000, "completion_tokens": 500}, "openai", "gpt-4o-mini", 1050),
    ],
    ids=[
        "responses",
        "responses-dict",
        "chat-azure",
        "anthropic",
        "anthropic-delta",
        "anthropic-delta-dict",
        "netrun-dict",
        "chat-dict-no-details",
    ],
)
def test_settle_reads_every_documented_shape(
    usage: Any, provider: str, model: str, micros: float
) -> None:
    enforcer, reservation = held(provider, model)
    reservation.settle(usage)
    assert spent(enforcer) == round(micros)


def test_the_openai_and_anthropic_conventions_are_not_confused() -> None:
    # Same numbers, different meanings: OpenAI's prompt counts include the cached tokens,
    # Anthropic's input_tokens exclude them.
    assert usage_from(RESPONSES_USAGE) == Usage(
        input_tokens=1000, cache_read_tokens=4000, output_tokens=500, reasoning_tokens=100
    )
    assert usage_from(CHAT_USAGE) == usage_from(RESPONSES_USAGE)
    assert usage_from(ANTHROPIC_USAGE) == Usage(
        input_tokens=1000, cache_read_tokens=4000, cache_write_tokens=2000, output_tokens=500
    )
    # An embeddings usage (no completion at all) is read; it costs its prompt.
    embedding = usage_from({"prompt_tokens": 8, "total_tokens": 8})
    assert (embedding.input_tokens, embedding.output_tokens) == (8, 0)


# ---------------------------------------------------------------------- refused loudly


class Tokens:
    tokens = 1000


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        (None, "usage is None"),
        (Tokens(), "cannot read token usage from Tokens"),
        ({"tokens": 12}, "cannot read token usage from dict"),
        ({"prompt_tokens": 12}, "no 'completion_tokens'"),
        ({"completion_tokens": 12}, "no 'prompt_tokens'"),
        ({"prompt_tokens": -1, "completion_tokens": 1}, "non-negative int"),
        ({"prompt_tokens": "12", "completion_tokens": 1}, "non-negative int"),
        ({"input_tokens": 1.5, "output_tokens": 1}, "non-negative int"),
        ({"input_tokens": True, "output_tokens": 1}, "non-negative int"),
        ({"input_tokens": 10}, "no 'output_tokens'"),
        (
            {
                "prompt_tokens": 5,
                "completion_tokens": 1,
                "prompt_tokens_details": {"cached_tokens": 9},
            },
            "more than its 5 prompt_tokens",
        ),
        # The stub's Anthropic message_delta carries the output only: unpriceable input.
        (MessageDeltaUsage(output_tokens=7), "no 'input_tokens'"),
        (
            openai.types.chat.ChatCompletionChunk.model_validate(
                {
                    "id": "c",
                    "choices": [],
                    "created": 0,
                    "model": "m",
                    "object": "chat.completion.chunk",
                }
            ),
            "ChatCompletionChunk.usage is None",
        ),
    ],
    ids=[
        "none",
        "object",
        "dict",
        "no-completion",
        "no-prompt",
        "negative",
        "string",
        "float",
        "bool",
        "no-output",
        "cached-above-prompt",
        "delta-without-input",
        "chunk-without-usage",
    ],
)
def test_an_unreadable_usage_is_refused_and_charged_the_whole_hold(
    usage: Any, message: str
) -> None:
    enforcer, reservation = held("openai", "gpt-4o-mini")
    with capture_logs() as logs, pytest.raises(UsageShapeError, match=message):
        reservation.settle(usage)
    # Never $0: the hold (an upper bound of the call) is what the budget is charged.
    assert spent(enforcer) == reservation.amount_micros > 0
    assert reservation.state == "settled"
    assert [line["event"] for line in logs if line["event"] == "llm_usage_unreadable"] == [
        "llm_usage_unreadable"
    ]


def test_an_unreadable_usage_is_refused_by_telemetry_and_pricing() -> None:
    collector = TelemetryCollector(sinks=[InMemorySink()], background=False)
    try:
        tracker = collector.track_request(provider="openai", model="gpt-4o-mini")
        with pytest.raises(UsageShapeError):
            tracker.set_usage(Tokens())
    finally:
        collector.close()
    with pytest.raises(UsageShapeError):
        cost_for("openai", "gpt-4o-mini", {"tokens": 3})


def test_async_settle_reads_sdk_usage_and_refuses_unknown_shapes() -> None:
    enforcer, reservation = held("openai", "gpt-4o-mini")
    asyncio.run(reservation.asettle(CHAT_USAGE))
    assert spent(enforcer) == round(OPENAI_MICROS)
    asyncio.run(reservation.asettle(CHAT_USAGE))  # settled once: a second one charges nothing
    assert spent(enforcer) == round(OPENAI_MICROS)
    enforcer, reservation = held("openai", "gpt-4o-mini")
    with pytest.raises(UsageShapeError):
        asyncio.run(reservation.asettle(Tokens()))
    assert spent(enforcer) == reservation.amount_micros


def test_an_estimated_usage_is_charged_at_least_the_hold() -> None:
    # A stream abandoned before the provider's usage: the local count (characters) may be
    # below what the provider bills, the hold is not.
    enforcer, reservation = held("openai", "gpt-4o-mini")
    reservation.settle(Usage(input_tokens=10, output_tokens=3, estimated=True))
    assert spent(enforcer) == reservation.amount_micros


def test_an_unpriced_call_still_refuses_an_unreadable_usage() -> None:
    enforcer = PolicyEnforcer(TenantPolicy("acme"), ledger=MemoryLedger(), clock=lambda: NOW)
    reservation = enforcer.reserve(
        provider="openai", model="gpt-99-unknown", estimated_input_tokens=10, max_output_tokens=10
    )
    with pytest.raises(UsageShapeError):
        reservation.settle(Tokens())
    reservation = enforcer.reserve(
        provider="openai", model="gpt-99-unknown", estimated_input_tokens=10, max_output_tokens=10
    )
    reservation.settle(CHAT_USAGE)
    assert reservation.cost is None  # no price: counted as unknown, never as $0 priced


def test_stub_reply_helper_is_scripted() -> None:
    # Guard for the fixtures above: a reply with usage is what the SDK calls read back.
    assert StubReply(usage=OPENAI_STUB).usage.cache_read_tokens == 4000


def test_gemini_and_ollama_usage_are_read() -> None:
    # google-genai's usage_metadata counts the cached tokens inside the prompt and the
    # thoughts beside the candidates; Ollama's counts are plain.
    gemini = usage_from(
        {
            "prompt_token_count": 5000,
            "cached_content_token_count": 4000,
            "candidates_token_count": 400,
            "thoughts_token_count": 100,
        }
    )
    assert gemini == Usage(
        input_tokens=1000, cache_read_tokens=4000, output_tokens=500, reasoning_tokens=100
    )
    assert usage_from({"prompt_eval_count": 30, "eval_count": 7}) == Usage(30, output_tokens=7)
    with pytest.raises(UsageShapeError, match="more than its 5 input_tokens"):
        usage_from(
            {
                "input_tokens": 5,
                "output_tokens": 1,
                "input_tokens_details": {"cached_tokens": 9},
            }
        )
