"""Token usage: netrun's :class:`Usage` and :func:`usage_from`, which reads any official SDK's.

Usage is normalised to four disjoint token counts, so a price table multiplies each by its own
rate and nothing is billed twice (see :mod:`netrun.llm.types`, which exports these names).
OpenAI's ``prompt_tokens`` INCLUDES cached tokens (``prompt_tokens_details.cached_tokens``),
Anthropic's ``input_tokens`` EXCLUDES cache reads and writes, Gemini's ``prompt_token_count``
includes them and bills thoughts besides the candidates: one reader per shape hides that, and
a shape no reader knows raises :class:`UsageShapeError`, never a cost of zero.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netrun.errors import BadGatewayError

__all__ = ["TokenCounts", "Usage", "UsageShapeError", "usage_from"]


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
