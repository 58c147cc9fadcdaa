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
and refuses, with :class:`UsageShapeError`, a shape it does not know.

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

from netrun.errors import BadGatewayError
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


class TokenCounts:
    """``prompt_tokens`` and ``total_tokens`` of a record of the four kinds of token."""

    __slots__ = ()

    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int

    @property
    def prompt_tokens(self) -> int:
        """Every prompt token, cached or not."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens


@dataclass(frozen=True)
class Usage(TokenCounts):
    """Normalised token usage of one call; see the module docstring for the conventions.

    ``estimated`` is true when some count was estimated locally (a stream abandoned before
    the provider reported its usage, or the offline provider).
    """

    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            estimated=self.estimated or other.estimated,
        )

    @classmethod
    def from_openai(
        cls,
        *,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        reasoning_tokens: int | None = None,
    ) -> Usage:
        """OpenAI / Azure OpenAI: ``prompt_tokens`` includes cache reads and writes."""
        read = cached_tokens or 0
        write = cache_write_tokens or 0
        return cls(
            input_tokens=max(0, prompt_tokens - read - write),
            cache_read_tokens=read,
            cache_write_tokens=write,
            output_tokens=completion_tokens,
            reasoning_tokens=reasoning_tokens or 0,
        )

    @classmethod
    def from_anthropic(
        cls,
        *,
        input_tokens: int,
        output_tokens: int,
        cache_read_input_tokens: int | None = None,
        cache_creation_input_tokens: int | None = None,
        thinking_tokens: int | None = None,
    ) -> Usage:
        """Anthropic: ``input_tokens`` excludes cache reads and writes already."""
        return cls(
            input_tokens=input_tokens,
            cache_read_tokens=cache_read_input_tokens or 0,
            cache_write_tokens=cache_creation_input_tokens or 0,
            output_tokens=output_tokens,
            reasoning_tokens=thinking_tokens or 0,
        )

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "input_tokens": self.input_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "estimated": self.estimated,
        }


class UsageShapeError(BadGatewayError):
    """A usage object :func:`usage_from` cannot read: unknown shape, or a bad token count.

    A call whose usage cannot be read must not look free: the reservation that meets one
    charges its whole hold (the worst case) before this is raised. It is a 502: the provider
    answered with something netrun cannot price.
    """

    error_code = "LLM_USAGE_UNREADABLE"
    default_message = "The LLM provider's usage report could not be read."


def _has(usage: Any, name: str) -> bool:
    if isinstance(usage, Mapping):
        return name in usage
    return hasattr(usage, name)


def _get(usage: Any, name: str) -> Any:
    if usage is None:
        return None
    if isinstance(usage, Mapping):
        return usage.get(name)
    return getattr(usage, name, None)


def _count(usage: Any, name: str, *, required: bool = False) -> int:
    value = _get(usage, name)
    if value is None:
        if required:
            raise UsageShapeError(
                f"usage of type {type(usage).__name__} has no {name!r}: the call's cost cannot "
                "be computed"
            )
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UsageShapeError(f"usage field {name!r} must be a non-negative int, not {value!r}")
    return value


def _openai_prompt(usage: Any, field: str) -> tuple[int, int, int]:
    """OpenAI's prompt count (``prompt_tokens`` or ``input_tokens``, which INCLUDES the cached
    tokens), and the cache reads and writes of its ``<field>_details``."""
    prompt = _count(usage, field, required=True)
    details = _get(usage, f"{field}_details")
    read = _count(details, "cached_tokens")
    write = _count(details, "cache_write_tokens")
    if read + write > prompt:
        kind = field.partition("_")[0]
        raise UsageShapeError(
            f"usage has {read + write} cached {kind} tokens, more than its {prompt} {field}"
        )
    return prompt, read, write


def _openai_chat(usage: Any) -> Usage:
    # Chat Completions (OpenAI, Azure OpenAI, a stream's final chunk with include_usage).
    prompt, read, write = _openai_prompt(usage, "prompt_tokens")
    # Embeddings report no completion (total == prompt); a chat completion always does.
    embedding = _get(usage, "completion_tokens") is None and _get(usage, "total_tokens") == prompt
    return Usage.from_openai(
        prompt_tokens=prompt,
        completion_tokens=_count(usage, "completion_tokens", required=not embedding),
        cached_tokens=read,
        cache_write_tokens=write,
        reasoning_tokens=_count(_get(usage, "completion_tokens_details"), "reasoning_tokens"),
    )


def _openai_responses(usage: Any) -> Usage:
    # Responses API.
    prompt, read, write = _openai_prompt(usage, "input_tokens")
    return Usage.from_openai(
        prompt_tokens=prompt,
        completion_tokens=_count(usage, "output_tokens", required=True),
        cached_tokens=read,
        cache_write_tokens=write,
        reasoning_tokens=_count(_get(usage, "output_tokens_details"), "reasoning_tokens"),
    )


def _anthropic(usage: Any) -> Usage:
    # Messages API (and a stream's message_delta usage, which carries cumulative counts):
    # input_tokens EXCLUDES cache reads and writes.
    return Usage.from_anthropic(
        input_tokens=_count(usage, "input_tokens", required=True),
        output_tokens=_count(usage, "output_tokens", required=True),
        cache_read_input_tokens=_count(usage, "cache_read_input_tokens"),
        cache_creation_input_tokens=_count(usage, "cache_creation_input_tokens"),
        thinking_tokens=_count(_get(usage, "output_tokens_details"), "thinking_tokens"),
    )


def _netrun(usage: Any) -> Usage:
    # Usage.as_dict() and objects with netrun's four disjoint counts.
    return Usage(
        input_tokens=_count(usage, "input_tokens", required=True),
        cache_read_tokens=_count(usage, "cache_read_tokens"),
        cache_write_tokens=_count(usage, "cache_write_tokens"),
        output_tokens=_count(usage, "output_tokens", required=True),
        reasoning_tokens=_count(usage, "reasoning_tokens"),
        estimated=_get(usage, "estimated") is True,
    )


def _gemini(usage: Any) -> Usage:
    # google-genai usage_metadata: prompt_token_count includes the cached tokens, and the
    # thoughts are billed as output besides candidates_token_count.
    prompt = _count(usage, "prompt_token_count", required=True)
    read = min(prompt, _count(usage, "cached_content_token_count"))
    thoughts = _count(usage, "thoughts_token_count")
    return Usage(
        input_tokens=prompt - read,
        cache_read_tokens=read,
        output_tokens=_count(usage, "candidates_token_count") + thoughts,
        reasoning_tokens=thoughts,
    )


def _ollama(usage: Any) -> Usage:
    return Usage(
        input_tokens=_count(usage, "prompt_eval_count", required=True),
        output_tokens=_count(usage, "eval_count"),
    )


# (a field only this shape has, its reader), most specific first.
_SHAPES = (
    # netrun's names first: telemetry records carry them beside a ``prompt_tokens`` sum.
    ("cache_read_tokens", _netrun),
    ("cache_write_tokens", _netrun),
    ("prompt_tokens", _openai_chat),
    ("completion_tokens", _openai_chat),
    ("cache_read_input_tokens", _anthropic),
    ("cache_creation_input_tokens", _anthropic),
    ("input_tokens_details", _openai_responses),
    ("output_tokens_details", _openai_responses),
    ("total_tokens", _openai_responses),
    ("prompt_token_count", _gemini),
    ("prompt_eval_count", _ollama),
    ("input_tokens", _netrun),
)


def usage_from(usage: Any) -> Usage:
    """``usage`` as netrun's :class:`Usage`, whatever official SDK (or dict) it came from.

    Reads: :class:`Usage`; OpenAI and Azure OpenAI chat completions
    (``prompt_tokens``, ``completion_tokens``, ``prompt_tokens_details.cached_tokens``,
    ``completion_tokens_details.reasoning_tokens``), a stream's final chunk with
    ``stream_options={"include_usage": True}``; the Responses API (``input_tokens`` including
    ``input_tokens_details.cached_tokens``, ``output_tokens_details.reasoning_tokens``);
    Anthropic (``input_tokens`` excluding ``cache_read_input_tokens`` and
    ``cache_creation_input_tokens``), a stream's ``message_delta`` usage or final message;
    Gemini's ``usage_metadata``; Ollama's ``prompt_eval_count``/``eval_count``; the same as
    plain dicts; and an object whose ``usage`` attribute is one of these (a whole response,
    a final stream chunk). Anything else raises :class:`UsageShapeError`, as does a count
    that is missing, negative or not an int: a cost is never guessed as zero.
    """
    if isinstance(usage, Usage):
        return usage
    if usage is None:
        raise UsageShapeError(
            "usage is None: the provider reported none (a stream needs "
            "stream_options={'include_usage': True} on OpenAI)"
        )
    for name, reader in _SHAPES:
        if _has(usage, name):
            return reader(usage)
    inner = _get(usage, "usage")
    if inner is not None and inner is not usage:
        return usage_from(inner)
    if _has(usage, "usage"):
        raise UsageShapeError(
            f"{type(usage).__name__}.usage is None: the provider reported no usage (a stream "
            "needs stream_options={'include_usage': True} on OpenAI)"
        )
    raise UsageShapeError(
        f"cannot read token usage from {type(usage).__name__}: expected an OpenAI, Azure, "
        "Responses API, Anthropic, Gemini or Ollama usage (or a dict of one), or netrun's Usage"
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
