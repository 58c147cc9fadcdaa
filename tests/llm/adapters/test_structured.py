"""``response_schema``: each provider asked its own way, the answer parsed into the object,
whole and streamed, across a fallback; an answer that does not fit is billed and flagged."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from netrun.core.context import tenant_context
from netrun.llm import LLMClient
from netrun.llm.budgets import MemoryLedger
from netrun.llm.policies import PolicyEnforcer, TenantPolicy
from netrun.llm.pricing import default_price_table
from netrun.llm.testing import StubLLMServer, StubReply, StubToolCall, StubUsage
from tests.llm.adapters.conftest import build


class Triage(BaseModel):
    ticket_id: int
    priority: str


ANSWER = {"ticket_id": 42, "priority": "high"}
QUESTION = [{"role": "user", "content": "Triage ticket 42"}]


def reply_for(provider: str, answer: Any = ANSWER) -> StubReply:
    """What each provider sends for a schema: Claude calls the schema's tool, the others
    answer JSON text."""
    if provider == "anthropic":
        return StubReply(text="", tool_calls=(StubToolCall("Triage", answer),))
    return StubReply(text=json.dumps(answer))


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini", "ollama"])
def test_each_provider_is_asked_its_way_and_the_answer_is_the_model(
    stub: StubLLMServer, provider: str
) -> None:
    stub.script(reply_for(provider))
    response = build(provider, stub).chat(QUESTION, response_schema=Triage)
    assert response.parsed == Triage(ticket_id=42, priority="high")
    assert response.parse_error is None
    assert response.tool_calls == ()  # Claude's answer tool is the answer, not a call
    assert json.loads(response.text) == ANSWER
    body = stub.requests[-1].body
    if provider == "openai":
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["schema"] == Triage.model_json_schema()
    elif provider == "anthropic":
        assert body["tools"][-1]["input_schema"] == Triage.model_json_schema()
        assert body["tool_choice"] == {"type": "tool", "name": "Triage"}
    elif provider == "gemini":
        config = body["generationConfig"]
        assert config["responseMimeType"] == "application/json"
        assert config["responseJsonSchema"] == Triage.model_json_schema()
    else:
        assert body["format"] == Triage.model_json_schema()


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_a_streamed_answer_is_parsed_when_it_ends(stub: StubLLMServer, provider: str) -> None:
    stub.script(reply_for(provider))
    with build(provider, stub).stream(QUESTION, response_schema=Triage) as stream:
        for _ in stream:
            pass
    assert stream.response is not None
    assert stream.response.parsed == Triage(ticket_id=42, priority="high")


def test_a_plain_json_schema_gives_a_dict(stub: StubLLMServer) -> None:
    schema = {"type": "object", "title": "Triage", "properties": {"ticket_id": {"type": "integer"}}}
    stub.script(reply_for("openai"))
    response = build("openai", stub).chat(QUESTION, response_schema=schema)
    assert response.parsed == ANSWER


def test_the_fallback_answers_the_same_object(stub: StubLLMServer) -> None:
    client = LLMClient([build("openai", stub), build("anthropic", stub)], max_retries=0)
    stub.script(StubReply.server_error(503), reply_for("anthropic"))
    response = client.chat(QUESTION, response_schema=Triage)
    assert response.provider == "anthropic"
    assert response.parsed == Triage(ticket_id=42, priority="high")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Sure! Ticket 42 is urgent.", "not valid JSON"),
        ("[1, 2]", "not an object"),
        ('{"ticket_id": "forty-two"}', "does not fit Triage"),
    ],
)
def test_an_answer_that_does_not_fit_is_billed_and_flagged(
    stub: StubLLMServer, text: str, why: str
) -> None:
    ledger = MemoryLedger()
    policy = TenantPolicy("acme", daily_budget_usd="1.00")
    enforcer = PolicyEnforcer(policy, ledger=ledger, prices=default_price_table())
    client = LLMClient([build("openai", stub)], enforcer=enforcer)
    stub.script(StubReply(text=text, usage=StubUsage(input_tokens=1000, output_tokens=1000)))
    with tenant_context("acme"):
        response = client.chat(QUESTION, response_schema=Triage, max_tokens=1000)
    assert response.parsed is None
    assert why in (response.parse_error or "")
    # gpt-4o-mini: 1000 input at $0.15/M + 1000 output at $0.60/M: the call is paid for.
    assert enforcer.budget_status()[0]["spent_usd"] == Decimal("0.00075")


@pytest.mark.parametrize(
    ("schema", "why"),
    [
        ({"type": "array"}, "type 'object'"),
        ("Triage", "pydantic model class"),
        ({"type": "json_schema", "json_schema": {"name": "x"}}, "json_schema.schema"),
    ],
)
def test_a_bad_schema_is_refused_before_anything_is_sent(
    stub: StubLLMServer, schema: Any, why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        LLMClient([build("openai", stub)]).chat(QUESTION, response_schema=schema)
    assert stub.requests == []
