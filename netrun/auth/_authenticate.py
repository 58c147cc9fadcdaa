"""One entry point for the glue: read a bearer token, verify it, log the audit event.

:func:`authenticate_token` verifies a netrun token with :func:`get_jwt_manager`, or, when an
external IdP is configured (``AUTH_IDP_JWKS_URL``) and the token names that IdP as its
issuer, with :func:`get_idp_verifier`. Routing on the *unverified* ``iss`` is safe: it only
picks which trusted key set must have signed the token, and that verifier then requires its
own issuer. Every outcome is audited (``auth_succeeded`` / ``auth_failed``).

A server whose netrun keys do not load (none set, as in a deployment that serves session
logins only, or a bad PEM) cannot have issued any token: a bearer token is then a 401
``TOKEN_INVALID`` (audit reason ``no_verification_key``), never a 500, and the error naming
the missing setting is logged once per settings object (``auth_keys_unavailable``). Checks
``netrun.auth.E001`` / ``E004`` say the same at ``manage.py check``, which gunicorn and
uvicorn never run.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import threading
from typing import Any

import jwt

from netrun.auth.audit import audit_failure, audit_success
from netrun.auth.conf import AuthConfig
from netrun.auth.exceptions import AuthenticationError, TokenRejectedError
from netrun.auth.idp import JWKSVerifier
from netrun.auth.tokens import JWTManager, get_jwt_manager
from netrun.config import get_settings
from netrun.errors import ConfigurationError
from netrun.logging import get_logger

__all__ = ["authenticate_token", "bearer_token", "get_idp_verifier", "reset_idp_verifier"]

logger = get_logger(__name__)

_idp: tuple[AuthConfig, JWKSVerifier | None] | None = None
_idp_lock = threading.Lock()
#: The settings object whose keys did not load: logged once, then refused without a retry.
_unloadable: AuthConfig | None = None


def get_idp_verifier() -> JWKSVerifier | None:
    """The IdP verifier built from settings, or ``None`` when ``idp_jwks_url`` is unset.

    Built once per settings object, so its JWKS cache lives as long as the process.
    """
    global _idp
    config = get_settings(AuthConfig)
    cached = _idp
    if cached is not None and cached[0] is config:
        return cached[1]
    with _idp_lock:
        if _idp is None or _idp[0] is not config:
            verifier = None
            if config.idp_jwks_url:
                verifier = JWKSVerifier(
                    config.idp_jwks_url,
                    issuer=config.idp_issuer or "",
                    audience=config.idp_audience or "",
                    algorithms=config.idp_algorithms,
                    cache_seconds=config.idp_jwks_cache_seconds,
                    min_refetch_interval=config.idp_min_refetch_interval,
                    leeway=config.leeway,
                )
            _idp = (config, verifier)
        return _idp[1]


def reset_idp_verifier() -> None:
    global _idp
    with _idp_lock:
        _idp = None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header.

    ``None`` when there is no header or it uses another scheme (so other authenticators may
    try); a ``Bearer`` header without exactly one token is a 401.
    """
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = rest.strip()
    if not token or " " in token:
        raise TokenRejectedError("malformed_header")
    return token


def _verifying_manager() -> JWTManager:
    """The shared manager; a 401 (logged once per settings object) when its keys do not load."""
    global _unloadable
    config = get_settings(AuthConfig)
    if _unloadable is config:
        raise TokenRejectedError("no_verification_key")
    try:
        return get_jwt_manager()
    except ConfigurationError as error:
        _unloadable = config
        logger.error(
            "auth_keys_unavailable",
            result="refused",
            error=error.message,
            hint="Set NETRUN_AUTH_JWT_PUBLIC_KEY (to verify) or NETRUN_AUTH_JWT_PRIVATE_KEY "
            "(to issue too), or their _PATH variants (AUTH_JWT_* in the environment); "
            "`manage.py check` reports it as netrun.auth.E001/E004. Until then every bearer "
            "token is refused with 401.",
        )
        raise TokenRejectedError("no_verification_key") from None


def _unverified_issuer(token: str) -> Any:
    try:
        return jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.InvalidTokenError:
        return None


def authenticate_token(
    token: str,
    *,
    manager: JWTManager | None = None,
    idp: JWKSVerifier | None = None,
    use_idp: bool = True,
) -> dict[str, Any]:
    """Verify an access token (netrun's, or the configured IdP's) and audit the outcome."""
    method = "jwt"
    try:
        verifier = idp if idp is not None else (get_idp_verifier() if use_idp else None)
        if verifier is not None and _unverified_issuer(token) == verifier.issuer:
            method = "idp"
            claims = verifier.verify(token)
        else:
            claims = (manager or _verifying_manager()).verify(token)
    except AuthenticationError as error:
        audit_failure(error, method=method)
        raise
    audit_success(claims, method=method)
    return claims
