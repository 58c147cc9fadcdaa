"""Each protocol's rendering of a scripted reply: whole answers and stream events.

Streams are generators of :class:`Pace` markers (the handler paces, or cuts, there) and
``(event name or None, data)`` pairs the handler writes as server-sent events; Ollama's
stream yields its NDJSON lines as ``(None, line)``.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import struct
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from netrun.llm.testing.replies import StubReply, StubToolCall, StubUsage

__all__ = [
    "Pace",
    "anthropic_message",
    "anthropic_stream",
    "embeddings",
    "gemini_content",
    "gemini_stream",
    "ollama_chat",
    "ollama_embed",
    "ollama_stream",
    "openai_chat",
    "openai_stream",
    "response",
    "responses_stream",
]


@dataclass(frozen=True)
class Pace:
    """Before the ``sent``-th piece of text (or the end): where delays and cuts happen."""

    sent: int


Event = tuple[str | None, Any]
Stream = Iterator[Pace | Event]


def pieces(text: str) -> list[str]:
    # Words with the whitespace that follows them: joining the pieces gives the text back.
    return re.findall(r"\s*\S+\s*", text) or ([text] if text else [])


def _call_id(call: StubToolCall, index: int, prefix: str) -> str:
    return call.id or f"{prefix}_stub_{index + 1}"


def _arguments(call: StubToolCall) -> str:
    return json.dumps(dict(call.arguments))


# ---------------------------------------------------------------------- usage


def openai_usage(usage: StubUsage) -> dict[str, Any]:
    # OpenAI counts cached tokens inside prompt_tokens.
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
        },
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def _responses_usage(usage: StubUsage) -> dict[str, Any]:
    # The Responses API counts cached tokens inside input_tokens, like chat's prompt_tokens.
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": prompt + usage.output_tokens,
    }


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


# ---------------------------------------------------------------------- OpenAI chat


def _openai_finish(reply: StubReply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _openai_tool_call(call: StubToolCall, index: int) -> dict[str, Any]:
    function = {"name": call.name, "arguments": _arguments(call)}
    return {"id": _call_id(call, index, "call"), "type": "function", "function": function}


def openai_chat(reply: StubReply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [_openai_tool_call(c, i) for i, c in enumerate(reply.tool_calls)]
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": _openai_finish(reply),
                "logprobs": None,
            }
        ],
        "usage": openai_usage(reply.usage),
    }


def openai_stream(reply: StubReply, model: str, include_usage: bool) -> Stream:
    base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> Event:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return None, {**base, "model": model, "choices": [choice]}

    text = pieces(reply.text)
    for sent, piece in enumerate(text):
        yield Pace(sent)
        yield chunk({"content": piece, **({"role": "assistant"} if sent == 0 else {})})
    yield Pace(len(text))
    for index, call in enumerate(reply.tool_calls):
        opening = {"index": index, **_openai_tool_call(call, index)}
        opening["function"] = {"name": call.name, "arguments": ""}
        yield chunk({"tool_calls": [opening], **({} if text or index else {"role": "assistant"})})
        arguments = {"index": index, "function": {"arguments": _arguments(call)}}
        yield chunk({"tool_calls": [arguments]})
    yield chunk({}, _openai_finish(reply))
    if include_usage:
        yield None, {**base, "model": model, "choices": [], "usage": openai_usage(reply.usage)}
    yield None, "[DONE]"


# ---------------------------------------------------------------------- OpenAI Responses


def _function_call(call: StubToolCall, index: int, status: str, arguments: str) -> dict[str, Any]:
    call_id = _call_id(call, index, "call")
    return {
        "type": "function_call",
        "id": f"fc_{call_id}",
        "call_id": call_id,
        "name": call.name,
        "arguments": arguments,
        "status": status,
    }


def response(reply: StubReply, model: str, status: str) -> dict[str, Any]:
    """A Responses API ``response`` object: the whole output once completed."""
    done = status == "completed"
    output: list[dict[str, Any]] = []
    if reply.text or not reply.tool_calls:
        text = {"type": "output_text", "text": reply.text, "annotations": [], "logprobs": []}
        output.append(
            {
                "type": "message",
                "id": "msg_stub",
                "status": "completed",
                "role": "assistant",
                "content": [text],
            }
        )
    output += [
        _function_call(call, index, "completed", _arguments(call))
        for index, call in enumerate(reply.tool_calls)
    ]
    return {
        "id": "resp_stub",
        "object": "response",
        "created_at": 0,
        "model": model,
        "status": status,
        "output": output if done else [],
        "usage": _responses_usage(reply.usage) if done else None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "temperature": None,
        "top_p": None,
    }


def responses_stream(reply: StubReply, model: str) -> Stream:
    sequence = itertools.count()

    def event(kind: str, **fields: Any) -> Event:
        return kind, {"type": kind, **fields, "sequence_number": next(sequence)}

    yield event("response.created", response=response(reply, model, "in_progress"))
    text = pieces(reply.text)
    for sent, piece in enumerate(text):
        yield Pace(sent)
        yield event(
            "response.output_text.delta",
            item_id="msg_stub",
            output_index=0,
            content_index=0,
            delta=piece,
            logprobs=[],
        )
    yield Pace(len(text))
    first = 1 if text else 0
    for index, call in enumerate(reply.tool_calls):
        position = first + index
        item = _function_call(call, index, "in_progress", "")
        yield event("response.output_item.added", output_index=position, item=item)
        arguments = _arguments(call)
        yield event(
            "response.function_call_arguments.delta",
            item_id=item["id"],
            output_index=position,
            delta=arguments,
        )
        yield event(
            "response.function_call_arguments.done",
            item_id=item["id"],
            output_index=position,
            arguments=arguments,
        )
        done = _function_call(call, index, "completed", arguments)
        yield event("response.output_item.done", output_index=position, item=done)
    yield event("response.completed", response=response(reply, model, "completed"))


# ---------------------------------------------------------------------- embeddings


def embeddings(body: Mapping[str, Any], model: str, usage: StubUsage) -> dict[str, Any]:
    """One 8-dimension vector per input, base64 float32 when asked (the SDK's default)."""
    inputs = body.get("input")
    count = len(inputs) if isinstance(inputs, list) and not isinstance(inputs[0], int) else 1
    encoded = body.get("encoding_format") == "base64"
    data = []
    for index in range(count):
        vector = [float(index + 1) / (dim + 1) for dim in range(8)]
        packed = base64.b64encode(struct.pack("<8f", *vector)).decode()
        data.append(
            {"object": "embedding", "index": index, "embedding": packed if encoded else vector}
        )
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": usage.input_tokens, "total_tokens": usage.input_tokens},
    }


def ollama_embed(body: Mapping[str, Any], model: str, usage: StubUsage) -> dict[str, Any]:
    """Ollama's ``/api/embed``: the same vectors as :func:`embeddings`, its own shape."""
    vectors = [item["embedding"] for item in embeddings(body, model, usage)["data"]]
    return {"model": model, "embeddings": vectors, "prompt_eval_count": usage.input_tokens}


# ---------------------------------------------------------------------- Anthropic


def _anthropic_stop(reply: StubReply) -> str:
    return reply.finish_reason or ("tool_use" if reply.tool_calls else "end_turn")


def _tool_use(call: StubToolCall, index: int, arguments: Mapping[str, Any]) -> dict[str, Any]:
    tool_id = _call_id(call, index, "toolu")
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
        delta = {"type": "input_json_delta", "partial_json": _arguments(call)}
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
        {"functionCall": {"id": _call_id(c, i, "call"), "name": c.name, "args": dict(c.arguments)}}
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
