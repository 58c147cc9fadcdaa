"""Tools through the provider-neutral chain: definitions rendered per provider, the model's
calls read back (whole and streamed), and a fallback that crosses formats mid-agent loop."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest

from netrun.core.context import tenant_context
from netrun.errors import BudgetExceededError
from netrun.llm import LLMClient
from netrun.llm.budgets import MemoryLedger
from netrun.llm.policies import PolicyEnforcer, TenantPolicy
from netrun.llm.testing import StubLLMServer, StubReply, StubToolCall, StubUsage
from netrun.llm.tools import ToolCall, ToolSpec, normalize_tools
from netrun.llm.types import ChatMessage, normalize_messages
from tests.llm.adapters.conftest import PROVIDERS, build

SCHEMA = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["open", "closed"]}},
    "required": ["status"],
}
#: The same tool in the three formats the chain accepts.
OPENAI_FORMAT = {
    "type": "function",
    "function": {
        "name": "list_tickets",
        "description": "The tenant's tickets",
        "parameters": SCHEMA,
    },
}
ANTHROPIC_FORMAT = {
    "name": "list_tickets",
    "description": "The tenant's tickets",
    "input_schema": SCHEMA,
}
SPEC = ToolSpec("list_tickets", "The tenant's tickets", SCHEMA)
CALL = StubToolCall("list_tickets", {"status": "open"})
QUESTION = [{"role": "user", "content": "Which tickets are open?"}]


def sent_tools(stub: StubLLMServer) -> Any:
    return stub.requests[-1].body.get("tools")


@pytest.mark.parametrize(
    "given", [OPENAI_FORMAT, ANTHROPIC_FORMAT, SPEC], ids=["openai", "anthropic", "spec"]
)
def test_every_format_becomes_each_providers_own(stub: StubLLMServer, given: Any) -> None:
    for provider in ("openai", "anthropic", "ollama"):
        build(provider, stub).chat(QUESTION, tools=[given], tool_choice="required")
        if provider == "anthropic":
            assert sent_tools(stub) == [ANTHROPIC_FORMAT]
            assert stub.requests[-1].body["tool_choice"] == {"type": "any"}
        else:
            assert sent_tools(stub) == [OPENAI_FORMAT]
    assert stub.requests[0].body["tool_choice"] == "required"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_models_calls_come_back_whole(stub: StubLLMServer, provider: str) -> None:
    stub.script(StubReply(text="", tool_calls=(CALL, StubToolCall("get_ticket", {"id": 42}))))
    response = build(provider, stub).chat(QUESTION, tools=[SPEC])
    assert [(c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("list_tickets", {"status": "open"}),
        ("get_ticket", {"id": 42}),
    ]
    assert all(call.id for call in response.tool_calls)
    assert all(call.parse_error is None for call in response.tool_calls)
    expected = {"anthropic": "tool_use", "ollama": "stop", "gemini": "STOP"}.get(
        provider, "tool_calls"
    )
    assert response.finish_reason == expected


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_models_calls_come_back_streamed(stub: StubLLMServer, provider: str) -> None:
    stub.script(StubReply(text="Let me look.", tool_calls=(CALL,), usage=StubUsage(30, 9)))
    with build(provider, stub).stream(QUESTION, tools=[SPEC]) as stream:
        text = "".join(chunk.text for chunk in stream)
    response = stream.response
    assert response is not None
    assert text == "Let me look."
    assert response.complete
    assert [(c.name, dict(c.arguments)) for c in response.tool_calls] == [
        ("list_tickets", {"status": "open"})
    ]
    assert response.usage.output_tokens == 9


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_async_streams_carry_the_calls_too(stub: StubLLMServer, provider: str) -> None:
    stub.script(StubReply(text="", tool_calls=(CALL,)))

    async def run() -> tuple[ToolCall, ...]:
        adapter = build(provider, stub)
        async with adapter.astream(QUESTION, tools=[SPEC]) as stream:
            async for _ in stream:
                pass
        await adapter.aclose()
        assert stream.response is not None
        return stream.response.tool_calls

    calls = asyncio.run(run())
    assert [(c.name, dict(c.arguments)) for c in calls] == [("list_tickets", {"status": "open"})]


def test_a_fallback_mid_agent_loop_carries_the_conversation_across_formats(
    stub: StubLLMServer,
) -> None:
    """OpenAI asked for a tool; its result goes back, OpenAI fails, Anthropic answers: it
    must receive the same call as a tool_use block and the result as a tool_result."""
    adapters = [build("openai", stub), build("anthropic", stub)]
    client = LLMClient(adapters, max_retries=0, sleep=lambda _: None)
    stub.script(StubReply(text="", tool_calls=(StubToolCall("list_tickets", {"status": "open"}, id="call_7"),)))  # fmt: skip
    first = client.chat(QUESTION, tools=[OPENAI_FORMAT])
    assert first.provider == "openai"
    (call,) = first.tool_calls

    conversation = [
        *QUESTION,
        ChatMessage("assistant", "", tool_calls=first.tool_calls),
        {"role": "tool", "tool_call_id": call.id, "content": '[{"id": 42}]'},
    ]
    stub.script(StubReply.server_error(503), StubReply(text="Ticket 42 is open."))
    second = client.chat(conversation, tools=[OPENAI_FORMAT], max_tokens=100)

    assert second.provider == "anthropic"
    assert second.fallback_from == "openai"
    assert second.text == "Ticket 42 is open."
    failed, answered = stub.requests[-2], stub.requests[-1]
    assert failed.body["messages"][1]["tool_calls"][0]["id"] == "call_7"
    assert failed.body["messages"][2] == {"role": "tool", "tool_call_id": "call_7", "content": '[{"id": 42}]'}  # fmt: skip
    assert answered.body["messages"] == [
        {"role": "user", "content": "Which tickets are open?"},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "call_7",
                    "name": "list_tickets",
                    "input": {"status": "open"},
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_7", "content": '[{"id": 42}]'}
            ],
        },
    ]
    assert answered.body["tools"] == [ANTHROPIC_FORMAT]


def test_anthropic_blocks_in_the_conversation_reach_openai_as_its_own_format(
    stub: StubLLMServer,
) -> None:
    conversation = [
        *QUESTION,
        {"role": "assistant", "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "list_tickets", "input": {"status": "open"}},
        ]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "[]"}]},
    ]  # fmt: skip
    build("openai", stub).chat(conversation, tools=[ANTHROPIC_FORMAT])
    assert stub.requests[-1].body["messages"][1:] == [
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "list_tickets", "arguments": '{"status": "open"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "[]"},
    ]


def test_consecutive_tool_results_share_one_anthropic_user_message() -> None:
    messages = normalize_messages(
        [
            *QUESTION,
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "x", "arguments": "{}"}},
                {"id": "b", "type": "function", "function": {"name": "y", "arguments": "{}"}},
            ]},
            {"role": "tool", "tool_call_id": "a", "content": "1"},
            {"role": "tool", "tool_call_id": "b", "content": "2"},
        ]
    )  # fmt: skip
    from netrun.llm.adapters._formats import anthropic_messages

    rendered = anthropic_messages(messages)
    assert [m["role"] for m in rendered] == ["user", "assistant", "user"]
    assert [b["tool_use_id"] for b in rendered[2]["content"]] == ["a", "b"]


def test_arguments_that_are_not_a_json_object_are_kept_and_flagged(stub: StubLLMServer) -> None:
    stub.script(StubReply(text="", tool_calls=(CALL,)))
    response = build("openai", stub).chat(QUESTION, tools=[SPEC])
    assert response.tool_calls[0].parse_error is None
    cut = ToolCall.of("call_1", "list_tickets", '{"status": "op')
    assert cut.arguments == {}
    assert cut.raw_arguments == '{"status": "op'
    assert "not valid JSON" in (cut.parse_error or "")
    assert "not an object" in (ToolCall.of("c", "t", "[1]").parse_error or "")


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ([{"type": "function", "function": {"description": "no name"}}], "name ''"),
        ([{"name": "has space", "input_schema": SCHEMA}], "'has space'"),
        ([SPEC, OPENAI_FORMAT], "defined twice"),
        ([{"type": "web_search"}], "only function tools"),
        ([ToolSpec("t", parameters={"type": "array"})], "type 'object'"),
        ({"name": "t"}, "a list"),
    ],
)
def test_a_bad_definition_is_refused_before_anything_is_sent(
    stub: StubLLMServer, tools: Any, message: str
) -> None:
    client = LLMClient([build("openai", stub)])
    with pytest.raises(ValueError, match=message):
        client.chat(QUESTION, tools=tools)
    with pytest.raises(ValueError, match="tool_choice"):
        client.chat(QUESTION, tools=[SPEC], tool_choice="nope")
    assert stub.requests == []


def test_the_budget_hold_covers_the_tool_definitions(stub: StubLLMServer) -> None:
    """A hold sized from the messages alone would admit a call whose definitions cost more
    than the budget left: the definitions are part of every attempt's prompt."""
    big = ToolSpec("search", "x" * 4000, SCHEMA)  # ~4 KB of definition
    ledger = MemoryLedger()
    # gpt-4o-mini: $0.15 per 1M input tokens. Without tools the hold is ~60 input tokens
    # plus 10 output; 4000 more bytes of tools add $0.0006.
    policy = TenantPolicy("acme", daily_budget_usd=Decimal("0.0003"))
    client = LLMClient([build("openai", stub)], enforcer=PolicyEnforcer(policy, ledger=ledger))
    with tenant_context("acme"):
        client.chat(QUESTION, max_tokens=10)  # the messages alone fit
        with pytest.raises(BudgetExceededError):
            client.chat(QUESTION, max_tokens=10, tools=[big])
    assert len(stub.requests) == 1


def test_normalize_tools_accepts_the_responses_apis_flat_format() -> None:
    flat = {"type": "function", "name": "list_tickets", "description": "d", "parameters": SCHEMA}
    assert normalize_tools([flat]) == (ToolSpec("list_tickets", "d", SCHEMA),)
    assert json.loads(json.dumps(SPEC.openai())) == OPENAI_FORMAT


def test_gemini_gets_calls_and_results_as_function_parts(stub: StubLLMServer) -> None:
    conversation = [
        {"role": "system", "content": "You are the helpdesk."},
        *QUESTION,
        ChatMessage("assistant", "", tool_calls=(ToolCall.of("call_7", "list_tickets", {"status": "open"}),)),
        {"role": "tool", "tool_call_id": "call_7", "content": "[]"},
    ]  # fmt: skip
    build("gemini", stub).chat(conversation, tools=[OPENAI_FORMAT], tool_choice="list_tickets")
    body = stub.requests[-1].body
    assert body["systemInstruction"]["parts"] == [{"text": "You are the helpdesk."}]
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["contents"][1]["parts"] == [
        {"functionCall": {"id": "call_7", "name": "list_tickets", "args": {"status": "open"}}}
    ]
    assert body["contents"][2]["parts"] == [
        {"functionResponse": {"id": "call_7", "name": "list_tickets", "response": {"result": "[]"}}}
    ]
    (declaration,) = body["tools"][0]["functionDeclarations"]
    assert declaration["name"] == "list_tickets"
    # The SDK sends this one field snake_cased; the API's JSON parser takes both spellings.
    assert declaration["parameters_json_schema"] == SCHEMA
    assert body["toolConfig"]["functionCallingConfig"] == {
        "mode": "ANY",
        "allowedFunctionNames": ["list_tickets"],
    }
