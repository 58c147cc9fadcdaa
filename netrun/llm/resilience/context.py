"""Context-window errors, and the larger model a call falls back to when it meets one.

The providers say "the prompt is too long for this model" with a 400:

* OpenAI and Azure OpenAI: ``{"error": {"code": "context_length_exceeded", "type":
  "invalid_request_error", "message": "This model's maximum context length is ..."}}``
* Anthropic: ``{"type": "error", "error": {"type": "invalid_request_error", "message":
  "prompt is too long: 210000 tokens > 200000 maximum"}}``

The adapters map both to ``ValidationError`` (400) without the provider's message (it can
quote the prompt); the SDK exception stays the error's ``__context__``, where this module
reads its code and message, never copying them anywhere. An adapter may also mark the error
itself with ``details["reason"] = "context_window_exceeded"``.

``NETRUN_LLM_CONTEXT_FALLBACKS`` maps a model to the larger-context model to retry on, once
per model: ``{"gpt-4.1-mini": "gpt-4.1", "claude-haiku-4-5": "anthropic/claude-sonnet-4-5"}``
(a bare name stays on the same provider; ``provider/model`` may move to another one in the
chain). LiteLLM's router calls the same thing ``context_window_fallbacks``.
Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netrun.errors import ValidationError
from netrun.llm.adapters import canonical_provider

__all__ = ["CONTEXT_WINDOW_REASON", "is_context_window_error", "split_target"]

CONTEXT_WINDOW_REASON = "context_window_exceeded"

_CODES = frozenset(
    {"context_length_exceeded", "context_window_exceeded", "string_above_max_length"}
)
_PHRASES = (
    "prompt is too long",
    "maximum context length",
    "context length",
    "context window",
    "input is too long",
    "too many tokens",
)


def _provider_error(error: BaseException) -> Mapping[str, Any] | None:
    """The ``error`` object of the SDK exception behind ``error``, if any."""
    seen: set[int] = set()
    cause: BaseException | None = error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        body = getattr(cause, "body", None)
        if isinstance(body, Mapping):
            inner = body.get("error", body)
            return inner if isinstance(inner, Mapping) else body
        cause = cause.__cause__ or cause.__context__
    return None


def is_context_window_error(error: BaseException) -> bool:
    """Whether the provider rejected the call because the prompt exceeds the context window."""
    if not isinstance(error, ValidationError):
        return False
    if error.details.get("reason") == CONTEXT_WINDOW_REASON:
        return True
    body = _provider_error(error)
    if body is None:
        return False
    if str(body.get("code") or "") in _CODES:
        return True
    message = str(body.get("message") or "").lower()
    return any(phrase in message for phrase in _PHRASES)


def split_target(target: str) -> tuple[str | None, str]:
    """``"provider/model"`` -> (provider, model); anything else is a model of the same
    provider (model names may hold a slash: ``meta-llama/Llama-3.1-8B``)."""
    prefix, slash, model = target.partition("/")
    provider = canonical_provider(prefix) if slash and model else None
    return (provider, model) if provider is not None else (None, target)
