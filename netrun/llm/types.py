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
and writes. :meth:`Usage.from_openai` and :meth:`Usage.from_anthropic` hide that.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "AttemptInfo",
    "ChatMessage",
    "LLMResponse",
    "Role",
    "StreamChunk",
    "Usage",
    "estimate_tokens",
    "normalize_messages",
]

Role = Literal["system", "user", "assistant"]

#: Characters per token of the rough estimate used before a call (budget reservations) and
#: for a stream the consumer abandoned before the provider reported usage. English text
#: averages about four characters per token in the GPT and Claude tokenizers.
CHARS_PER_TOKEN = 4
#: Per-message overhead (role markers, separators) the providers add to the prompt.
TOKENS_PER_MESSAGE = 4


@dataclass(frozen=True)
class ChatMessage:
    """One message of a conversation."""

    role: Role
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


def normalize_messages(
    messages: str | Iterable[ChatMessage | Mapping[str, Any]],
) -> list[ChatMessage]:
    """Accept a prompt string, ``ChatMessage`` objects or ``{"role", "content"}`` dicts."""
    if isinstance(messages, str):
        return [ChatMessage("user", messages)]
    result: list[ChatMessage] = []
    for message in messages:
        if isinstance(message, ChatMessage):
            result.append(message)
        else:
            role = message.get("role")
            if role not in ("system", "user", "assistant"):
                # The role is safe to name; the content never goes into an error.
                raise ValueError(f"unsupported chat message role: {role!r}")
            result.append(ChatMessage(role, str(message.get("content", ""))))
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


@dataclass(frozen=True)
class Usage:
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

    @property
    def prompt_tokens(self) -> int:
        """Every prompt token, cached or not."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.output_tokens

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


#: ``finish_reason`` values the adapters produce besides the provider's own ("stop",
#: "length", "end_turn", "max_tokens", ...): the stream ended before the provider said it
#: was done, or the consumer stopped reading.
FINISH_INTERRUPTED = "interrupted"
FINISH_CANCELLED = "cancelled"


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

    @property
    def content(self) -> str:
        """The seeds' name for :attr:`text`."""
        return self.text

    @property
    def tokens_used(self) -> int:
        return self.usage.total_tokens

    def with_fallback_from(self, provider: str | None) -> LLMResponse:
        return replace(self, fallback_from=provider)


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
