"""Each protocol's rendering of a scripted reply: whole answers and stream events.

Streams are generators of :class:`Pace` markers (the handler paces, or cuts, there) and
``(event name or None, data)`` pairs the handler writes as server-sent events; Ollama's
stream yields its NDJSON lines as ``(None, line)``. Here: what every protocol uses, and
Anthropic, Ollama and Gemini; the OpenAI protocols are in :mod:`._wire_openai`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from netrun.llm.testing.replies import StubReply, StubToolCall, StubUsage

__all__ = [
    "Event",
    "Pace",
    "Stream",
    "anthropic_message",
    "anthropic_stream",
    "anthropic_usage",
    "arguments_json",
    "call_id",
    "gemini_content",
    "gemini_stream",
    "ollama_chat",
    "ollama_stream",
    "pieces",
]


@dataclass(frozen=True)
class Pace:
    """Before the ``sent``-th piece of text (or the end): where delays and cuts happen."""

    sent: int


Event = tuple[str | None, Any]
Stream = Iterator[Pace | Event]


def pieces(text: str) -> list[str]:
    """The pieces a text streams in."""
    # Words with the whitespace that follows them: joining the pieces gives the text back.
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


def call_id(call: StubToolCall, index: int, prefix: str) -> str:
    """A tool call's own id, else a stable one from its place."""
    return call.id or f"{prefix}_stub_{index + 1}"


def arguments_json(call: StubToolCall) -> str:
    """A tool call's arguments as the JSON text the protocols carry."""
    return json.dumps(dict(call.arguments))


# ---------------------------------------------------------------------- usage


def anthropic_usage(usage: StubUsage) -> dict[str, Any]:
    # Anthropic's input_tokens exclude cache reads and writes.
    rendered: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
    }
    if usage.reasoning_tokens:
        rendered["output_tokens_details"] = {"thinking_tokens": usage.reasoning_tokens}
    return rendered


def _ollama_usage(usage: StubUsage) -> dict[str, Any]:
    return {
        "prompt_eval_count": usage.input_tokens + usage.cache_read_tokens,
        "eval_count": usage.output_tokens,
    }


# ---------------------------------------------------------------------- Anthropic


def _anthropic_stop(reply: StubReply) -> str:
    return reply.finish_reason or ("tool_use" if reply.tool_calls else "end_turn")


def _tool_use(call: StubToolCall, index: int, arguments: Mapping[str, Any]) -> dict[str, Any]:
    tool_id = call_id(call, index, "toolu")
    return {"type": "tool_use", "id": tool_id, "name": call.name, "input": dict(arguments)}


def anthropic_message(reply: StubReply, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reply.text or not reply.tool_calls:
        content.append({"type": "text", "text": reply.text})
    content += [_tool_use(call, i, call.arguments) for i, call in enumerate(reply.tool_calls)]
    return {
        "id": "msg_stub",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _anthropic_stop(reply),
        "stop_sequence": None,
        "usage": anthropic_usage(reply.usage),
    }


def anthropic_stream(reply: StubReply, model: str) -> Stream:
    start_usage = {**anthropic_usage(reply.usage), "output_tokens": 1}
    message: dict[str, Any] = {
        "id": "msg_stub",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    yield "message_start", {"type": "message_start", "message": message}
    text = pieces(reply.text)
    with_text = bool(text) or not reply.tool_calls
    if with_text:
        block = {"type": "text", "text": ""}
        yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}  # fmt: skip
    yield "ping", {"type": "ping"}
    for sent, piece in enumerate(text):
        yield Pace(sent)
        delta = {"type": "text_delta", "text": piece}
        yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
    yield Pace(len(text))
    if with_text:
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    for offset, call in enumerate(reply.tool_calls):
        index = offset + (1 if with_text else 0)
        block = _tool_use(call, offset, {})
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": block}  # fmt: skip
        delta = {"type": "input_json_delta", "partial_json": arguments_json(call)}
        yield "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    end = {"stop_reason": _anthropic_stop(reply), "stop_sequence": None}
    delta_usage = {"output_tokens": reply.usage.output_tokens}
    yield "message_delta", {"type": "message_delta", "delta": end, "usage": delta_usage}
    yield "message_stop", {"type": "message_stop"}


# ---------------------------------------------------------------------- Ollama


def _ollama_message(content: str, calls: tuple[StubToolCall, ...]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {"function": {"name": call.name, "arguments": dict(call.arguments)}} for call in calls
        ]
    return message


def ollama_chat(reply: StubReply, model: str) -> dict[str, Any]:
    return {
        "model": model,
        "created_at": "2025-01-01T00:00:00Z",
        "message": _ollama_message(reply.text, reply.tool_calls),
        "done": True,
        "done_reason": reply.finish_reason or "stop",
        **_ollama_usage(reply.usage),
    }


def ollama_stream(reply: StubReply, model: str) -> Stream:
    text = pieces(reply.text)
    for sent, piece in enumerate(text):
        yield Pace(sent)
        yield None, {"model": model, "message": _ollama_message(piece, ()), "done": False}
    yield Pace(len(text))
    if reply.tool_calls:  # Ollama sends tool calls whole, in a chunk of their own
        message = _ollama_message("", reply.tool_calls)
        yield None, {"model": model, "message": message, "done": False}
    yield (
        None,
        {
            "model": model,
            "message": _ollama_message("", ()),
            "done": True,
            "done_reason": reply.finish_reason or "stop",
            **_ollama_usage(reply.usage),
        },
    )


# ---------------------------------------------------------------------- Gemini


def _gemini_usage(usage: StubUsage) -> dict[str, Any]:
    # promptTokenCount includes the cached tokens; thoughts are billed besides the candidates.
    prompt = usage.input_tokens + usage.cache_read_tokens
    visible = usage.output_tokens - usage.reasoning_tokens
    rendered = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": visible,
        "totalTokenCount": prompt + usage.output_tokens,
    }
    if usage.cache_read_tokens:
        rendered["cachedContentTokenCount"] = usage.cache_read_tokens
    if usage.reasoning_tokens:
        rendered["thoughtsTokenCount"] = usage.reasoning_tokens
    return rendered


def _gemini_calls(reply: StubReply) -> list[dict[str, Any]]:
    return [
        {"functionCall": {"id": call_id(c, i, "call"), "name": c.name, "args": dict(c.arguments)}}
        for i, c in enumerate(reply.tool_calls)
    ]


def _gemini_candidate(parts: list[dict[str, Any]], finish: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    return candidate


def gemini_content(reply: StubReply, model: str, response_id: str) -> dict[str, Any]:
    parts = ([{"text": reply.text}] if reply.text else []) + _gemini_calls(reply)
    return {
        "candidates": [_gemini_candidate(parts, reply.finish_reason or "STOP")],
        "usageMetadata": _gemini_usage(reply.usage),
        "modelVersion": model,
        "responseId": response_id,
    }


def gemini_stream(reply: StubReply, model: str, response_id: str) -> Stream:
    text = pieces(reply.text)
    for sent, piece in enumerate(text):
        yield Pace(sent)
        chunk = {
            "candidates": [_gemini_candidate([{"text": piece}], None)],
            "modelVersion": model,
            "responseId": response_id,
        }
        yield None, chunk
    yield Pace(len(text))
    last = {
        "candidates": [_gemini_candidate(_gemini_calls(reply), reply.finish_reason or "STOP")],
        "usageMetadata": _gemini_usage(reply.usage),
        "modelVersion": model,
        "responseId": response_id,
    }
    yield None, last
