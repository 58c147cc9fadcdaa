"""The errors of ``netrun.auth``: the suite's own classes, plus the reason kept for the audit log.

Every authentication failure is a :class:`~netrun.errors.TokenInvalidError` (401,
``TOKEN_INVALID``) or :class:`~netrun.errors.TokenExpiredError` (401, ``TOKEN_EXPIRED``);
a valid token that may not do something is a :class:`~netrun.errors.PermissionDeniedError`
or :class:`~netrun.errors.TenantAccessDeniedError` (403). The client sees one generic message
per class: *why* a token was refused (bad signature, unknown ``kid``, revoked...) helps an
attacker probe, so it goes to the ``auth_failed`` audit event only, through
:func:`failure_reason`.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from typing import Any

from netrun.errors import (
    AuthenticationError,
    AuthorizationError,
    PermissionDeniedError,
    ServiceUnavailableError,
    TenantAccessDeniedError,
    TokenExpiredError,
    TokenInvalidError,
)

__all__ = [
    "CHALLENGE",
    "AuthUnavailableError",
    "AuthenticationError",
    "AuthorizationError",
    "PermissionDeniedError",
    "TenantAccessDeniedError",
    "TokenExpiredError",
    "TokenInvalidError",
    "TokenRejectedError",
    "failure_reason",
    "with_challenge",
]

#: The ``WWW-Authenticate`` challenge of a bearer-token API (RFC 6750).
CHALLENGE = 'Bearer realm="api"'


class TokenRejectedError(TokenInvalidError):
    """``TOKEN_INVALID`` (401) that remembers, server-side only, why the token was refused."""

    default_message = "The token is invalid."

    def __init__(self, reason: str, message: str | None = None, **extra: Any) -> None:
        self.reason = reason
        super().__init__(message, **extra)


class AuthUnavailableError(ServiceUnavailableError):
    """``AUTH_UNAVAILABLE`` (503): the denylist's store (Redis) cannot be reached.

    Raised where netrun.auth fails closed: verifying a token (unless
    ``NETRUN_AUTH_DENYLIST_FAIL_OPEN``), refreshing, revoking. Clients retry after
    ``Retry-After`` seconds; it is never a 500.
    """

    error_code = "AUTH_UNAVAILABLE"
    default_message = "Authentication is temporarily unavailable; retry shortly."
    #: Seconds a client should wait before retrying.
    retry_after = 5

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def failure_reason(error: BaseException) -> str:
    """A short, stable reason for the audit log (``unknown_kid``, ``expired``, ...)."""
    if isinstance(error, TokenRejectedError):
        return error.reason
    if isinstance(error, TokenExpiredError):
        return "expired"
    if isinstance(error, TenantAccessDeniedError):
        return "tenant_mismatch"
    if isinstance(error, PermissionDeniedError):
        return "permission_denied"
    if isinstance(error, AuthorizationError):
        return "forbidden"
    if isinstance(error, AuthenticationError):
        return "unauthenticated"
    return "error"


def with_challenge(
    error: AuthenticationError, *, token_presented: bool = True
) -> AuthenticationError:
    """Mark a 401 so every renderer sends ``WWW-Authenticate`` with it (RFC 6750).

    ``token_presented=False`` for a 401 that judged no token (a login with wrong
    credentials): the challenge then names no ``error`` (RFC 6750, section 3.1)."""
    if not token_presented:
        vars(error)["auth_header"] = CHALLENGE
        return error
    reason = (
        "invalid_request" if getattr(error, "reason", "") == "malformed_header" else "invalid_token"
    )
    # DRF's convention: its handler, and netrun's, read `auth_header` from the exception.
    vars(error)["auth_header"] = f'{CHALLENGE}, error="{reason}"'
    return error
