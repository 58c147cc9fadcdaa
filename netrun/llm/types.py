"""The provider-neutral values every adapter returns: messages, usage, responses, stream chunks.

Usage is normalised to four disjoint token counts, so a price table multiplies each by its own
rate and nothing is billed twice::

    input_tokens        prompt tokens read at the full input price (NOT from a cache)
    cache_read_tokens   prompt tokens served from the provider's prompt cache
    cache_write_tokens  prompt tokens written to the prompt cache (Anthropic bills them extra)
    output_tokens       generated tokens, reasoning/thinking tokens INCLUDED
    reasoning_tokens    the part of output_tokens spent on reasoning (informational)

The providers count differently: OpenAI's ``prompt_tokens`` INCLUDES cached tokens
(``prompt_tokens_details.cached_tokens``), Anthropic's ``input_tokens`` EXCLUDES cache reads
and writes. :meth:`Usage.from_openai` and :meth:`Usage.from_anthropic` hide that, and
:func:`usage_from` reads whatever usage an official SDK returned (or a plain dict of it)
and refuses, with :class:`UsageShapeError`, a shape it does not know (the usage shapes are
read in ``netrun.llm._usage``; their names are imported from here).

Before a call, :func:`prompt_token_bound` gives a count the provider's own cannot exceed
(the UTF-8 length of the text: a byte-level BPE token covers at least one byte), which is
what a budget reservation holds.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar, cast

from netrun.llm._usage import TokenCounts, Usage, UsageShapeError, usage_from
from netrun.llm.tools import ToolCall

__all__ = [
    "AttemptInfo",
    "ChatMessage",
    "EmbeddingResponse",
    "LLMResponse",
    "Role",
    "StreamChunk",
    "TokenCounts",
    "Usage",
    "UsageShapeError",
    "estimate_tokens",
    "normalize_messages",
    "prompt_token_bound",
    "usage_from",
]

Role = Literal["system", "user", "assistant", "tool"]

#: Characters per token of the rough estimate used before a call (budget reservations) and
#: for a stream the consumer abandoned before the provider reported usage. English text
#: averages about four characters per token in the GPT and Claude tokenizers.
CHARS_PER_TOKEN = 4
#: Per-message overhead (role markers, separators) the providers add to the prompt.
TOKENS_PER_MESSAGE = 4


@dataclass(frozen=True)
class ChatMessage:
    """One message of a conversation.

    An assistant message may carry the model's ``tool_calls``; a ``tool`` message is the
    result of one call (``content``), answering its ``tool_call_id``.
    """

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


def _text_of(content: Any, role: str) -> str:
    """A message's text: a string, or the text parts of a list of content blocks."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for block in content:
            kind = block.get("type") if isinstance(block, Mapping) else type(block).__name__
            if kind != "text":
                raise ValueError(
                    f"a {role} message holds a {kind!r} content block: the provider-neutral "
                    "chain carries text and tool calls only (govern() the SDK client for more)"
                )
            texts.append(str(block.get("text", "")))
        return "".join(texts)
    return str(content)


def _openai_calls(calls: Any) -> tuple[ToolCall, ...]:
    result = []
    for call in calls or ():
        if isinstance(call, ToolCall):
            result.append(call)
            continue
        function = call.get("function") or {}
        name, arguments = str(function.get("name", "")), function.get("arguments")
        result.append(ToolCall.of(str(call.get("id", "")), name, arguments))
    return tuple(result)


def _from_blocks(role: Role, blocks: list[Any]) -> list[ChatMessage]:
    """Anthropic's content blocks: ``tool_use`` (assistant) and ``tool_result`` (user)."""
    calls: list[ToolCall] = []
    results: list[ChatMessage] = []
    rest: list[Any] = []
    for block in blocks:
        kind = block.get("type") if isinstance(block, Mapping) else None
        if kind == "tool_use":
            arguments = block.get("input") or {}
            calls.append(
                ToolCall.of(str(block.get("id", "")), str(block.get("name", "")), arguments)
            )
        elif kind == "tool_result":
            call_id = block.get("tool_use_id")
            if not call_id:
                raise ValueError("a tool_result block needs the tool_use_id it answers")
            text = _text_of(block.get("content"), "tool")
            results.append(ChatMessage("tool", text, tool_call_id=str(call_id)))
        else:
            rest.append(block)
    text = _text_of(rest, role)
    if role == "assistant":
        return [ChatMessage("assistant", text, tool_calls=tuple(calls))]
    return [*results, *([ChatMessage(role, text)] if text or not results else [])]


def normalize_messages(
    messages: str | Iterable[ChatMessage | Mapping[str, Any]],
) -> list[ChatMessage]:
    """Accept a prompt string, ``ChatMessage`` objects or ``{"role", "content"}`` dicts.

    Tool calls and results come in OpenAI's shape (an assistant's ``tool_calls``, a ``tool``
    message with ``tool_call_id``) or Anthropic's (``tool_use`` and ``tool_result`` content
    blocks); either becomes the neutral form every adapter renders in its own."""
    if isinstance(messages, str):
        return [ChatMessage("user", messages)]
    result: list[ChatMessage] = []
    for message in messages:
        if isinstance(message, ChatMessage):
            result.append(message)
            continue
        role = message.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            # The role is safe to name; the content never goes into an error.
            raise ValueError(f"unsupported chat message role: {role!r}")
        content = message.get("content", "")
        if isinstance(content, list) and any(
            isinstance(b, Mapping) and b.get("type") in ("tool_use", "tool_result") for b in content
        ):
            result.extend(_from_blocks(cast("Role", role), content))
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not call_id:
                raise ValueError("a tool message needs the tool_call_id it answers")
            result.append(ChatMessage("tool", _text_of(content, role), tool_call_id=str(call_id)))
        else:
            calls = _openai_calls(message.get("tool_calls")) if role == "assistant" else ()
            result.append(ChatMessage(role, _text_of(content, role), tool_calls=calls))
    if not result:
        raise ValueError("at least one chat message is required")
    return result


def estimate_tokens(messages: str | Sequence[ChatMessage]) -> int:
    """A provider-neutral upper-ish estimate of the tokens in ``messages``."""
    if isinstance(messages, str):
        return math.ceil(len(messages) / CHARS_PER_TOKEN)
    return sum(
        TOKENS_PER_MESSAGE + math.ceil(len(message.content) / CHARS_PER_TOKEN)
        for message in messages
    )


#: Tokens a provider adds around the whole prompt (the assistant reply's priming) on top of
#: :data:`TOKENS_PER_MESSAGE`; OpenAI documents 3, taken with margin.
TOKENS_PER_PROMPT = 8


def prompt_token_bound(messages: str | Sequence[ChatMessage]) -> int:
    """An upper bound of the prompt tokens of ``messages``, whatever the text.

    GPT (tiktoken) and Claude tokenizers are byte-level BPE: every token covers at least one
    byte of the UTF-8 text, so the byte length bounds the token count (CJK text is about
    three bytes and one or two tokens a character; code more tokens per character than
    prose). Role markers and separators add :data:`TOKENS_PER_MESSAGE` a message and
    :data:`TOKENS_PER_PROMPT` once. Tools, images and files sent besides the messages are
    not counted: a caller that sends them must add their own bound.
    """
    if isinstance(messages, str):
        return TOKENS_PER_PROMPT + TOKENS_PER_MESSAGE + len(messages.encode("utf-8"))
    return TOKENS_PER_PROMPT + sum(
        TOKENS_PER_MESSAGE
        + len(message.role.encode("utf-8"))
        + len(message.content.encode())
        + len((message.tool_call_id or "").encode())
        + sum(
            TOKENS_PER_MESSAGE + len(f"{c.id}{c.name}{c.arguments_json()}".encode())
            for c in message.tool_calls
        )
        for message in messages
    )


#: ``finish_reason`` values the adapters produce besides the provider's own ("stop",
#: "length", "end_turn", "max_tokens", ...): the stream ended before the provider said it
#: was done, or the consumer stopped reading.
FINISH_INTERRUPTED = "interrupted"
FINISH_CANCELLED = "cancelled"


_Self = TypeVar("_Self", bound="LLMResponse")


@dataclass(frozen=True)
class LLMResponse:
    """One answer, whatever the provider.

    ``complete`` is false for a stream that was cut or abandoned; its ``text`` and ``usage``
    are then what was consumed, and ``usage.estimated`` says whether the counts are exact.
    """

    text: str
    provider: str
    model: str
    usage: Usage = field(default_factory=Usage)
    latency_ms: float = 0.0
    finish_reason: str | None = None
    request_id: str | None = None
    complete: bool = True
    #: Set by :class:`~netrun.llm.client.LLMClient` when the answer came from a fallback.
    fallback_from: str | None = None
    #: The tools the model called (``finish_reason`` is then ``tool_calls`` or ``tool_use``).
    tool_calls: tuple[ToolCall, ...] = ()
    #: With ``response_schema``: the answer as an object (a model instance when a pydantic
    #: model was given), or ``None`` and the reason in ``parse_error``.
    parsed: Any = None
    parse_error: str | None = None

    @property
    def content(self) -> str:
        """The seeds' name for :attr:`text`."""
        return self.text

    @property
    def tokens_used(self) -> int:
        return self.usage.total_tokens

    def with_fallback_from(self: _Self, provider: str | None) -> _Self:
        return replace(self, fallback_from=provider)


@dataclass(frozen=True)
class EmbeddingResponse(LLMResponse):
    """The vectors of one ``embed`` call, one per input text, in order (``text`` is empty);
    ``usage.input_tokens`` is what the provider billed."""

    embeddings: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class StreamChunk:
    """A piece of a streamed answer: ``text`` is the new text only (a delta)."""

    text: str
    provider: str
    model: str
    index: int


@dataclass(frozen=True)
class AttemptInfo:
    """What :class:`~netrun.llm.client.LLMClient` tells telemetry about one attempt.

    ``attempt`` counts from 1 per provider; ``position`` is the provider's place in the
    chain (0-based). ``fallback_reason`` says why this provider is being tried instead of
    an earlier one (``None`` for the first): ``"error"``, ``"policy"``, ``"budget"``.
    """

    provider: str
    model: str
    attempt: int
    position: int
    streamed: bool
    duration_ms: float
    reason: str | None = None
    fallback_reason: str | None = None
    retry_after: float | None = None
    will_retry: bool = False
    #: The GenAI operation (``gen_ai.operation.name``): ``"chat"``, or ``"embeddings"``.
    operation: str = "chat"
