"""HTTP calls to identity providers, with transport failures mapped to Netrun errors.

``ServiceUnavailableError`` (503) when the provider cannot be reached, ``GatewayTimeoutError``
(504) when it does not answer in time, ``BadGatewayError`` (502) when it answers with a 5xx
or something that is not a JSON object. Log lines carry the provider, the operation and the
exception type, never URLs with query strings, request bodies or responses (they hold codes,
tokens and secrets).

Framework-neutral: no Django import.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from netrun.errors import BadGatewayError, GatewayTimeoutError, ServiceUnavailableError
from netrun.logging import get_logger

__all__ = ["JSONObject", "call_json", "call_json_document"]

logger = get_logger(__name__)

JSONObject = dict[str, Any]


def call_json(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    provider: str,
    operation: str,
    **kwargs: Any,
) -> tuple[int, JSONObject]:
    """Send one request and return ``(status, JSON object)``; 4xx are returned, not raised.

    4xx answers are the caller's to interpret (``invalid_grant`` means an expired code, not an
    outage), so only transport failures, 5xx and non-JSON bodies raise here.
    """
    status, body = call_json_document(
        client, method, url, provider=provider, operation=operation, **kwargs
    )
    if not isinstance(body, dict):
        logger.warning("oauth_http_failed", provider=provider, operation=operation,
                       result="error", reason="not_json_object")  # fmt: skip
        raise BadGatewayError(
            "The identity provider answered with an unexpected document.",
            provider=provider,
            operation=operation,
        )
    return status, body


def call_json_document(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    provider: str,
    operation: str,
    **kwargs: Any,
) -> tuple[int, JSONObject | list[Any]]:
    """Like :func:`call_json`, but a JSON array is accepted too (GitHub's ``/user/emails``)."""
    started = time.perf_counter()
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as error:
        _log_failure(provider, operation, started, type(error).__name__)
        raise GatewayTimeoutError(
            "The identity provider did not answer in time.",
            provider=provider,
            operation=operation,
        ) from None
    except httpx.TransportError as error:
        _log_failure(provider, operation, started, type(error).__name__)
        raise ServiceUnavailableError(
            "The identity provider is unreachable.", provider=provider, operation=operation
        ) from None
    if response.status_code >= 500:
        _log_failure(provider, operation, started, f"http_{response.status_code}")
        raise BadGatewayError(
            "The identity provider answered with an error.",
            provider=provider,
            operation=operation,
            upstream_status=response.status_code,
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, (dict, list)):
        _log_failure(provider, operation, started, "not_json")
        raise BadGatewayError(
            "The identity provider answered with an unexpected document.",
            provider=provider,
            operation=operation,
        )
    logger.debug(
        "oauth_http_call",
        provider=provider,
        operation=operation,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )
    return response.status_code, body


def _log_failure(provider: str, operation: str, started: float, reason: str) -> None:
    logger.warning(
        "oauth_http_failed",
        provider=provider,
        operation=operation,
        result="error",
        reason=reason,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )
