"""The OpenAI protocols' rendering of a scripted reply: chat completions, the Responses API
and embeddings (Ollama's ``/api/embed`` gives the same vectors in its own shape).

Streams are :data:`~netrun.llm.testing._wire.Stream` generators, as in :mod:`._wire`.
"""

from __future__ import annotations

import base64
import itertools
import struct
import time
from collections.abc import Mapping
from typing import Any

from netrun.llm.testing._wire import Event, Pace, Stream, arguments_json, call_id, pieces
from netrun.llm.testing.replies import StubReply, StubToolCall, StubUsage

__all__ = [
    "embeddings",
    "ollama_embed",
    "openai_chat",
    "openai_stream",
    "openai_usage",
    "response",
    "responses_stream",
]

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


# ---------------------------------------------------------------------- OpenAI chat


def _openai_finish(reply: StubReply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _openai_tool_call(call: StubToolCall, index: int) -> dict[str, Any]:
    function = {"name": call.name, "arguments": arguments_json(call)}
    return {"id": call_id(call, index, "call"), "type": "function", "function": function}


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
        arguments = {"index": index, "function": {"arguments": arguments_json(call)}}
        yield chunk({"tool_calls": [arguments]})
    yield chunk({}, _openai_finish(reply))
    if include_usage:
        yield None, {**base, "model": model, "choices": [], "usage": openai_usage(reply.usage)}
    yield None, "[DONE]"


# ---------------------------------------------------------------------- OpenAI Responses


def _function_call(call: StubToolCall, index: int, status: str, arguments: str) -> dict[str, Any]:
    identifier = call_id(call, index, "call")
    return {
        "type": "function_call",
        "id": f"fc_{identifier}",
        "call_id": identifier,
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
        _function_call(call, index, "completed", arguments_json(call))
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
        arguments = arguments_json(call)
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
