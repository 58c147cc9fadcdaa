"""How provider failures become netrun errors, the same way for every adapter.

==========================================  ==============================================
Provider answer                             Netrun error (HTTP status)
==========================================  ==============================================
429                                         ``RateLimitExceededError`` (429), ``retry_after``
                                            from ``retry-after-ms`` / ``Retry-After``
408, client-side timeout                    ``GatewayTimeoutError`` (504)
503, 529 (Anthropic "overloaded")           ``ServiceUnavailableError`` (503), ``retry_after``
other 5xx, malformed answer                 ``BadGatewayError`` (502)
connection refused / reset before a reply   ``ServiceUnavailableError`` (503)
401, 403                                    ``LLMProviderAuthenticationError`` (502)
400, 413, 422                               ``ValidationError`` (400)
other 4xx (404 unknown model...)            ``BadGatewayError`` (502)
a stream broken after its first token       ``LLMStreamInterruptedError`` (502)
==========================================  ==============================================

A provider's 401 is *our* key being refused: the end user cannot fix it with other
credentials, so it is a 502 (an upstream failure) and not netrun's ``AuthenticationError``
(401), which would tell the client to log in again. It has a class of its own so the chain
can skip the provider without retrying it.

``details`` carry the provider, its HTTP status and request id, never the provider's error
message (it can quote the prompt) or anything from the request. Framework-neutral.
"""

from __future__ import annotations

import email.utils
import math
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from netrun.errors import (
    BadGatewayError,
    BudgetExceededError,
    GatewayTimeoutError,
    NetrunException,
    RateLimitExceededError,
    ServiceUnavailableError,
    ValidationError,
)

if TYPE_CHECKING:
    from netrun.llm.types import LLMResponse

__all__ = [
    "LLMProviderAuthenticationError",
    "LLMStreamInterruptedError",
    "connection_error",
    "error_for_status",
    "is_retryable",
    "map_transport_error",
    "parse_retry_after",
    "retry_after_of",
    "timeout_error",
]


class LLMProviderAuthenticationError(BadGatewayError):
    """The provider refused netrun's credentials (its 401/403): a server misconfiguration."""

    error_code = "LLM_PROVIDER_AUTHENTICATION_FAILED"
    default_message = "The LLM provider refused the configured credentials."


class LLMStreamInterruptedError(BadGatewayError):
    """A streamed answer broke off after some text had been delivered.

    ``response`` is what was consumed (``complete=False``), with the usage that was billed.
    """

    error_code = "LLM_STREAM_INTERRUPTED"
    default_message = "The LLM provider's stream broke off mid-answer."

    response: LLMResponse | None = None


def parse_retry_after(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI) or ``Retry-After`` (seconds or date)."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None  # neither seconds nor an HTTP date: ignore it, back off instead
        seconds = parsed.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


#: The provider's wait to the millisecond (``retry-after-ms``), kept on the error beside the
#: whole seconds of ``details["retry_after"]`` and the ``Retry-After`` header it renders.
_PRECISE_RETRY_AFTER = "_netrun_precise_retry_after"


def _details(provider: str, status: int | None, request_id: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"provider": provider}
    if status is not None:
        details["provider_status"] = status
    if request_id:
        details["provider_request_id"] = request_id
    return details


def error_for_status(
    provider: str,
    status: int,
    *,
    retry_after: float | None = None,
    request_id: str | None = None,
) -> NetrunException:
    """The netrun error for an HTTP error answer of ``provider`` (see the module table)."""
    error = _error_for_status(provider, status, retry_after, request_id)
    if retry_after is not None:
        setattr(error, _PRECISE_RETRY_AFTER, retry_after)
    return error


def _error_for_status(
    provider: str, status: int, retry_after: float | None, request_id: str | None
) -> NetrunException:
    details = _details(provider, status, request_id)
    if status == 429:
        return RateLimitExceededError(
            f"The LLM provider {provider!r} is rate limiting requests.",
            details,
            retry_after=retry_after,
        )
    if status == 408:
        return GatewayTimeoutError(f"The LLM provider {provider!r} timed out.", details)
    if status in (503, 529):
        if retry_after is not None:
            details["retry_after"] = math.ceil(retry_after)
        return ServiceUnavailableError(
            f"The LLM provider {provider!r} is overloaded or unavailable.", details
        )
    if status in (401, 403):
        return LLMProviderAuthenticationError(details=details)
    if status in (400, 413, 422):
        return ValidationError(f"The LLM provider {provider!r} rejected the request.", details)
    return BadGatewayError(f"The LLM provider {provider!r} failed (HTTP {status}).", details)


def timeout_error(provider: str) -> GatewayTimeoutError:
    return GatewayTimeoutError(
        f"The LLM provider {provider!r} did not answer in time.", _details(provider, None, None)
    )


def connection_error(provider: str) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"The LLM provider {provider!r} could not be reached.", _details(provider, None, None)
    )


def map_transport_error(provider: str, error: Exception) -> NetrunException | None:
    """httpx / httpx2 transport failures (the SDKs let some through mid-stream)."""
    for name in ("httpx", "httpx2"):
        # A module that is not loaded cannot have raised `error`: no import needed.
        module = sys.modules.get(name)
        if module is None:
            continue
        if isinstance(error, module.TimeoutException):
            return timeout_error(provider)
        if isinstance(error, module.RequestError):
            return connection_error(provider)
    return None


def retry_after_of(error: BaseException) -> float | None:
    """The wait a mapped error asks for, if any, to the millisecond the provider sent."""
    precise = getattr(error, _PRECISE_RETRY_AFTER, None)
    if isinstance(precise, float):
        return precise
    if isinstance(error, RateLimitExceededError):
        return None if error.retry_after is None else float(error.retry_after)
    if isinstance(error, NetrunException):
        value = error.details.get("retry_after")
        return float(value) if isinstance(value, int | float) else None
    return None


def is_retryable(error: BaseException) -> bool:
    """Transient provider failures worth another try on the same provider."""
    if isinstance(
        error, BudgetExceededError | LLMProviderAuthenticationError | LLMStreamInterruptedError
    ):
        return False
    return isinstance(
        error,
        RateLimitExceededError | ServiceUnavailableError | BadGatewayError | GatewayTimeoutError,
    )
