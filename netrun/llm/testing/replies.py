"""What the stub is scripted with and what it records: replies, usage, tool calls, requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["RecordedRequest", "StubReply", "StubToolCall", "StubUsage", "WireProtocol"]

WireProtocol = Literal["openai", "azure_openai", "anthropic", "ollama", "gemini"]


@dataclass(frozen=True)
class StubToolCall:
    """One function call the scripted model makes.

    ``arguments`` is rendered as each protocol carries it: a JSON string for OpenAI (chat and
    Responses), an object for Anthropic's ``tool_use`` and Ollama. ``id`` defaults to a
    protocol-shaped one (``call_stub_1``, ``toolu_stub_1``) numbered within the reply.
    """

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class StubUsage:
    """Token counts in netrun's convention; each protocol renders them its own way."""

    input_tokens: int = 12
    output_tokens: int = 7
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass
class StubReply:
    """One scripted answer. ``finish_reason=None`` means the protocol's normal one."""

    text: str = "Hello from the stub."
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0
    usage: StubUsage = field(default_factory=StubUsage)
    finish_reason: str | None = None
    cut_after: int | None = None
    model: str | None = None
    error_type: str | None = None
    #: OpenAI's ``error.code`` (``context_length_exceeded``...) and the error's message.
    error_code: str | None = None
    error_message: str | None = None
    #: Tool calls the model makes, after ``text`` (give ``text=""`` for calls alone); the
    #: finish reason becomes each protocol's own (``tool_calls``, ``tool_use``).
    tool_calls: tuple[StubToolCall, ...] = ()

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1, **kwargs: Any) -> StubReply:
        headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        return cls(status=429, headers=headers, **kwargs)

    @classmethod
    def server_error(cls, status: int = 500, **kwargs: Any) -> StubReply:
        return cls(status=status, **kwargs)

    @classmethod
    def context_window_exceeded(cls, **kwargs: Any) -> StubReply:
        """The 400 each provider sends for a prompt longer than the model's context window:
        OpenAI's ``context_length_exceeded`` code, Anthropic's "prompt is too long"."""
        return cls(
            status=400,
            error_type="invalid_request_error",
            error_code="context_length_exceeded",
            error_message="prompt is too long: 210000 tokens > 200000 maximum (This model's "
            "maximum context length is 200000 tokens.)",
            **kwargs,
        )

    @classmethod
    def overloaded(cls, **kwargs: Any) -> StubReply:
        """Anthropic's 529 ``overloaded_error``."""
        return cls(status=529, error_type="overloaded_error", **kwargs)


@dataclass(frozen=True)
class RecordedRequest:
    protocol: WireProtocol
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: Mapping[str, Any]
    #: Azure's deployment name from the URL, else ``None``.
    deployment: str | None = None
