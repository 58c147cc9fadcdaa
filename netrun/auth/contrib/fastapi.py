"""FastAPI: ``require_auth(roles=...)``, a dependency that verifies the bearer token.

::

    from fastapi import Depends, FastAPI
    from netrun.auth.contrib.fastapi import require_auth
    from netrun.errors.contrib.fastapi import install_exception_handlers

    app = FastAPI()
    install_exception_handlers(app)          # netrun errors -> the one envelope

    @app.get("/tickets")
    async def tickets(claims: dict = Depends(require_auth(roles=["agent"]))) -> list[str]:
        ...

The dependency reads ``Authorization: Bearer <token>``, verifies it (netrun keys or the
configured IdP; ``manager=`` for an explicit :class:`~netrun.auth.JWTManager`), checks the
roles and permissions, and binds the user and tenant in :mod:`netrun.core.context` for the
endpoint: it is a ``yield`` dependency, so the binding is undone when the request ends.
Failures raise netrun errors, rendered by netrun.errors' FastAPI handlers exactly as DRF's
``JWTAuthentication`` answers them: no bearer token is 401 ``AUTHENTICATION_ERROR`` with
``WWW-Authenticate: Bearer realm="api"``; a malformed header, a bad, expired or revoked
token is 401 ``TOKEN_INVALID`` / ``TOKEN_EXPIRED`` with ``error="invalid_request"`` /
``error="invalid_token"`` added; missing roles or permissions are 403.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from starlette.requests import Request

from netrun.auth._authenticate import authenticate_token, bearer_token
from netrun.auth.audit import audit_failure
from netrun.auth.authz import require_permissions, require_roles
from netrun.auth.exceptions import (
    CHALLENGE,
    AuthenticationError,
    TokenRejectedError,
    with_challenge,
)
from netrun.auth.idp import JWKSVerifier
from netrun.auth.tokens import JWTManager
from netrun.core.context import bind

__all__ = ["require_auth"]

Dependency = Callable[[Request], AsyncIterator[dict[str, Any]]]

#: DRF's ``NotAuthenticated`` message, so both frameworks answer a bare request alike.
_NOT_AUTHENTICATED = "Authentication credentials were not provided."


def _not_authenticated() -> AuthenticationError:
    """The 401 for a request without a bearer token, as DRF's ``IsAuthenticated`` answers it.

    ``AUTHENTICATION_ERROR`` with the bare challenge: RFC 6750 (section 3.1) sends no
    ``error=`` when the request carried no credentials. Not audited, as on the DRF path: a
    request without a token is not a failed authentication.
    """
    error = AuthenticationError(_NOT_AUTHENTICATED)
    vars(error)["auth_header"] = CHALLENGE
    return error


def require_auth(
    roles: Iterable[str] | None = None,
    *,
    permissions: Iterable[str] | None = None,
    require_all_roles: bool = False,
    manager: JWTManager | None = None,
    idp: JWKSVerifier | None = None,
) -> Dependency:
    """A dependency returning the verified claims; 401 without a valid token, 403 without roles."""
    wanted_roles = list(roles or ())
    wanted_permissions = list(permissions or ())

    async def dependency(request: Request) -> AsyncIterator[dict[str, Any]]:
        try:
            token = bearer_token(request.headers.get("authorization"))
        except TokenRejectedError as error:
            audit_failure(error)
            with_challenge(error)
            raise
        if token is None:
            raise _not_authenticated()
        try:
            claims = authenticate_token(token, manager=manager, idp=idp)
        except AuthenticationError as error:
            with_challenge(error)
            raise
        if wanted_roles:
            require_roles(claims, wanted_roles, require_all=require_all_roles)
        if wanted_permissions:
            require_permissions(claims, wanted_permissions)
        values: dict[str, Any] = {"user_id": claims.get("sub")}
        if claims.get("tenant_id") is not None:
            values["tenant_id"] = claims["tenant_id"]
        request.state.auth = claims
        async with bind(**values):
            yield claims

    return dependency
