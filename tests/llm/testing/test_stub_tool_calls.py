"""The stub's tool calls, read back by the official SDKs: whole and streamed, each protocol."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from netrun.llm.testing import StubLLMServer, StubReply, StubToolCall

KEY = "sk-test-0123456789abcdefghij"
WEATHER = StubToolCall("get_weather", {"city": "Oslo", "unit": "c"})
TICKETS = StubToolCall("list_tickets", {"status": "open"}, id="call_fixed")
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
MESSAGES = [{"role": "user", "content": "Weather in Oslo?"}]


@pytest.fixture
def server() -> Iterator[StubLLMServer]:
    with StubLLMServer() as stub:
        yield stub


def _openai(server: StubLLMServer) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=server.openai_base_url, max_retries=0)


def _anthropic(server: StubLLMServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=server.anthropic_base_url, max_retries=0)


def test_openai_chat_reads_the_tool_calls(server: StubLLMServer) -> None:
    server.script(StubReply(text="", tool_calls=(WEATHER, TICKETS)))
    completion = _openai(server).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, tools=[TOOL], max_tokens=50
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls or []
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("call_stub_1", "get_weather", {"city": "Oslo", "unit": "c"}),
        ("call_fixed", "list_tickets", {"status": "open"}),
    ]
    assert server.requests[0].body["tools"] == [TOOL]  # passed through untouched


def test_openai_chat_stream_assembles_the_tool_calls(server: StubLLMServer) -> None:
    server.script(StubReply(text="Let me check.", tool_calls=(WEATHER,)))
    with _openai(server).chat.completions.stream(
        model="gpt-4o-mini", messages=MESSAGES, tools=[TOOL], max_tokens=50
    ) as stream:
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert message.content == "Let me check."
    calls = message.tool_calls or []
    assert [(c.id, c.function.name, c.function.arguments) for c in calls] == [
        ("call_stub_1", "get_weather", json.dumps({"city": "Oslo", "unit": "c"}))
    ]


def test_responses_api_reads_function_calls_whole_and_streamed(server: StubLLMServer) -> None:
    client = _openai(server)
    server.script(StubReply(text="", tool_calls=(WEATHER,)))
    whole = client.responses.create(model="gpt-4o-mini", input="Weather?", max_output_tokens=50)
    assert [(i.type, getattr(i, "name", None)) for i in whole.output] == [
        ("function_call", "get_weather")
    ]
    assert json.loads(whole.output[0].arguments) == {"city": "Oslo", "unit": "c"}  # type: ignore[union-attr]

    server.script(StubReply(text="Checking", tool_calls=(TICKETS,)))
    events = list(
        client.responses.create(
            model="gpt-4o-mini", input="Tickets?", max_output_tokens=50, stream=True
        )
    )
    kinds = [event.type for event in events]
    assert kinds[0] == "response.created"
    assert kinds[-1] == "response.completed"
    assert "response.function_call_arguments.done" in kinds
    done = events[-1].response  # type: ignore[union-attr]
    assert [item.type for item in done.output] == ["message", "function_call"]
    assert done.output[1].call_id == "call_fixed"  # type: ignore[union-attr]


def test_anthropic_reads_tool_use_whole_and_streamed(server: StubLLMServer) -> None:
    client = _anthropic(server)
    server.script(StubReply(text="", tool_calls=(WEATHER,)))
    message = client.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=MESSAGES)
    assert message.stop_reason == "tool_use"
    assert [(b.type, b.id, b.name, b.input) for b in message.content] == [  # type: ignore[union-attr]
        ("tool_use", "toolu_stub_1", "get_weather", {"city": "Oslo", "unit": "c"})
    ]

    server.script(StubReply(text="On it.", tool_calls=(WEATHER, TICKETS)))
    with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=50, messages=MESSAGES
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert final.content[0].type == "text"
    assert final.content[0].text == "On it."
    assert [(b.name, b.input) for b in final.content[1:]] == [  # type: ignore[union-attr]
        ("get_weather", {"city": "Oslo", "unit": "c"}),
        ("list_tickets", {"status": "open"}),
    ]


def test_ollama_carries_tool_calls_whole_and_streamed(server: StubLLMServer) -> None:
    url = f"{server.ollama_base_url}/api/chat"
    server.script(StubReply(text="", tool_calls=(WEATHER,)))
    whole = httpx.post(url, json={"model": "llama3", "messages": MESSAGES}).json()
    assert whole["message"]["tool_calls"] == [
        {"function": {"name": "get_weather", "arguments": {"city": "Oslo", "unit": "c"}}}
    ]

    server.script(StubReply(text="ok", tool_calls=(TICKETS,)))
    body = {"model": "llama3", "messages": MESSAGES, "stream": True}
    with httpx.stream("POST", url, json=body) as response:
        lines = [json.loads(line) for line in response.iter_lines() if line]
    calls = [line["message"]["tool_calls"] for line in lines if "tool_calls" in line["message"]]
    assert calls == [[{"function": {"name": "list_tickets", "arguments": {"status": "open"}}}]]
    assert lines[-1]["done"] is True


def test_a_reply_without_tool_calls_is_unchanged(server: StubLLMServer) -> None:
    completion = _openai(server).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=50
    )
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].finish_reason == "stop"
    message = _anthropic(server).messages.create(
        model="claude-haiku-4-5", max_tokens=50, messages=MESSAGES
    )
    assert message.stop_reason == "end_turn"
    assert [block.type for block in message.content] == ["text"]
