"""The neutral conversation (text, tool calls, tool results) in each provider's request format.

What lets a fallback cross providers mid-agent loop: the same :class:`ChatMessage` list and
:class:`~netrun.llm.tools.ToolSpec` tuple become OpenAI's ``tool_calls``/``tool`` messages,
Anthropic's ``tool_use``/``tool_result`` blocks, or Ollama's ``tool_calls``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from netrun.llm.tools import ToolSpec
from netrun.llm.types import ChatMessage

__all__ = [
    "anthropic_messages",
    "anthropic_tool_request",
    "ollama_messages",
    "openai_messages",
    "openai_tool_request",
    "turns",
]


def turns(messages: Sequence[ChatMessage]) -> Iterator[ChatMessage | tuple[ChatMessage, ...]]:
    """Every message but the system ones, in order, with each run of tool results as one
    tuple: Anthropic and Gemini want the results of a turn's calls in one user message."""
    results: list[ChatMessage] = []
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "tool":
            results.append(message)
            continue
        if results:
            yield tuple(results)
            results = []
        yield message
    if results:
        yield tuple(results)


def openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    rendered: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            rendered.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
            )
        elif message.tool_calls:
            calls = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments_json()},
                }
                for call in message.tool_calls
            ]
            rendered.append(
                {"role": "assistant", "content": message.content or None, "tool_calls": calls}
            )
        else:
            rendered.append(message.as_dict())
    return rendered


def openai_tool_request(tools: Sequence[ToolSpec], choice: str | None) -> dict[str, Any]:
    """The ``tools`` and ``tool_choice`` arguments of a chat completion (none without tools)."""
    if not tools:
        return {}
    request: dict[str, Any] = {"tools": [spec.openai() for spec in tools]}
    if choice in ("auto", "none", "required"):
        request["tool_choice"] = choice
    elif choice is not None:
        request["tool_choice"] = {"type": "function", "function": {"name": choice}}
    return request


def anthropic_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Every message but the system ones (Anthropic takes those apart). Tool results go in a
    user message as ``tool_result`` blocks, consecutive ones in the same message, as the
    Messages API requires."""
    rendered: list[dict[str, Any]] = []
    for message in turns(messages):
        if isinstance(message, tuple):
            results = [
                {
                    "type": "tool_result",
                    "tool_use_id": result.tool_call_id,
                    "content": result.content,
                }
                for result in message
            ]
            rendered.append({"role": "user", "content": results})
        elif message.tool_calls:
            blocks: list[dict[str, Any]] = []
            if message.content:
                blocks.append({"type": "text", "text": message.content})
            blocks += [
                {
                    "type": "tool_use",
                    "id": call.id,
                    "name": call.name,
                    "input": dict(call.arguments),
                }
                for call in message.tool_calls
            ]
            rendered.append({"role": "assistant", "content": blocks})
        else:
            rendered.append(message.as_dict())
    return rendered


def anthropic_tool_request(tools: Sequence[ToolSpec], choice: str | None) -> dict[str, Any]:
    if not tools:
        return {}
    request: dict[str, Any] = {"tools": [spec.anthropic() for spec in tools]}
    if choice == "required":
        request["tool_choice"] = {"type": "any"}
    elif choice in ("auto", "none"):
        request["tool_choice"] = {"type": choice}
    elif choice is not None:
        request["tool_choice"] = {"type": "tool", "name": choice}
    return request


def ollama_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Ollama's ``/api/chat``: OpenAI's roles, the arguments as an object, no call ids."""
    rendered: list[dict[str, Any]] = []
    for message in messages:
        entry: dict[str, Any] = message.as_dict()
        if message.tool_calls:
            entry["tool_calls"] = [
                {"function": {"name": call.name, "arguments": dict(call.arguments)}}
                for call in message.tool_calls
            ]
        rendered.append(entry)
    return rendered
