"""Audit events: ``auth_succeeded`` and ``auth_failed``, through netrun.logging.

Each event carries the reason (failures), the user and tenant when known, the correlation ID
(added by netrun.logging from the request context, and set here explicitly too so a sink
without netrun's processors still has it), the token's ``jti`` and ``kid``. Never the token:
a logged bearer token is a stolen session. Logger name: ``netrun.auth.audit``, so a project
can route audit events to their own sink.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netrun.auth.exceptions import failure_reason
from netrun.core.context import current_correlation_id
from netrun.logging import get_logger

__all__ = ["audit_failure", "audit_success"]

audit_logger = get_logger("netrun.auth.audit")


def _subject(claims: Mapping[str, Any] | None, key: str) -> str | None:
    if not claims:
        return None
    value = claims.get(key)
    return str(value) if value is not None else None


def audit_success(
    claims: Mapping[str, Any], *, method: str = "jwt", tenant_claim: str = "tenant_id"
) -> None:
    """Log ``auth_succeeded`` for a verified token."""
    # Every request, at INFO, never sampled or deduplicated: it is the only line that ties a
    # request (its correlation ID) to the token that made it (jti, issuer). When a token
    # leaks, that is how the requests it made are found; request_finished has the user only.
    audit_logger.info(
        "auth_succeeded",
        method=method,
        user_id=_subject(claims, "sub"),
        tenant_id=_subject(claims, tenant_claim),
        jti=_subject(claims, "jti"),
        issuer=_subject(claims, "iss"),
        correlation_id=current_correlation_id(),
    )


def audit_failure(
    error: BaseException,
    *,
    method: str = "jwt",
    claims: Mapping[str, Any] | None = None,
    tenant_claim: str = "tenant_id",
    **fields: Any,
) -> None:
    """Log ``auth_failed`` with the reason; ``claims`` only when they were verified."""
    audit_logger.warning(
        "auth_failed",
        method=method,
        reason=failure_reason(error),
        error_code=getattr(error, "error_code", type(error).__name__),
        user_id=_subject(claims, "sub"),
        tenant_id=_subject(claims, tenant_claim),
        jti=_subject(claims, "jti"),
        correlation_id=current_correlation_id(),
        **fields,
    )
