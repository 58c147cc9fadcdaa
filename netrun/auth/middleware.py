"""Django middleware: JWT authentication for plain (non-DRF) views, sync and async capable.

::

    MIDDLEWARE = [
        "netrun.logging.middleware.CorrelationIdMiddleware",
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "netrun.auth.middleware.JWTAuthenticationMiddleware",
        ...,
    ]

A request with ``Authorization: Bearer <token>`` is verified: ``request.user`` becomes the
token's user, ``request.auth`` its claims, and the user and tenant are bound in
:mod:`netrun.core.context` for exactly the duration of the view (a ``with`` block around
``get_response``). A bad token is answered with the 401 envelope at once; a denylist that
cannot be reached (Redis down) with the 503 ``AUTH_UNAVAILABLE`` envelope, never a 500. A request without
a bearer token passes through untouched (sessions still work).

With ``NETRUN_AUTH_COOKIE_TRANSPORT`` the access token may come from its httpOnly cookie
instead; an unsafe request authenticated that way must pass Django's CSRF check, or it is
answered with the 403 envelope before the view runs (see :mod:`netrun.auth.cookies`).

DRF views behind it reuse its result instead of verifying again, and the bindings DRF's
authenticator opened are closed here as the response leaves.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase

from netrun.auth._authenticate import authenticate_token
from netrun.auth._request import end_request_context, resolve_user
from netrun.auth.audit import audit_failure
from netrun.auth.cookies import SAFE_METHODS, CSRFRejectedError, enforce_csrf, request_token
from netrun.auth.exceptions import (
    AuthenticationError,
    AuthUnavailableError,
    TokenRejectedError,
    with_challenge,
)
from netrun.core.context import bind
from netrun.core.middleware import AsyncGetResponse, GetResponse, HybridMiddleware
from netrun.errors import NetrunException, prefers_problem_json, render_error

__all__ = ["JWTAuthenticationMiddleware"]

Result = tuple[Any, dict[str, Any]]


def _authenticate(request: HttpRequest) -> Result | None:
    try:
        token, from_cookie = request_token(request)
    except TokenRejectedError as error:
        audit_failure(error)
        raise
    if token is None:
        return None
    if from_cookie and request.method not in SAFE_METHODS:
        try:
            enforce_csrf(request)
        except CSRFRejectedError as error:
            audit_failure(error, method="cookie")
            raise
    claims = authenticate_token(token)
    return resolve_user(claims), claims


def _error_response(request: HttpRequest, error: NetrunException) -> HttpResponseBase:
    if isinstance(error, AuthenticationError):
        with_challenge(error)
    status, headers, body = render_error(
        error, problem=prefers_problem_json(request.headers.get("Accept"))
    )
    content_type = headers.pop("Content-Type")
    return JsonResponse(body, status=status, headers=headers, content_type=content_type)


def _accept(request: HttpRequest, result: Result) -> dict[str, Any]:
    user, claims = result
    request.user = user
    request.auth = claims  # type: ignore[attr-defined]
    # Read by netrun.auth.drf.JWTAuthentication: DRF views do not verify twice.
    request.netrun_auth = result  # type: ignore[attr-defined]
    values: dict[str, Any] = {"user_id": claims.get("sub")}
    if claims.get("tenant_id") is not None:
        values["tenant_id"] = claims["tenant_id"]
    return values


class JWTAuthenticationMiddleware(HybridMiddleware):
    """Authenticate bearer JWTs and bind user and tenant around the view."""

    def handle(self, request: HttpRequest, get_response: GetResponse) -> HttpResponseBase:
        try:
            result = _authenticate(request)
        except (AuthenticationError, AuthUnavailableError, CSRFRejectedError) as error:
            return _error_response(request, error)
        try:
            if result is None:
                return get_response(request)
            with bind(**_accept(request, result)):
                return get_response(request)
        finally:
            end_request_context()

    async def ahandle(
        self, request: HttpRequest, get_response: AsyncGetResponse
    ) -> HttpResponseBase:
        try:
            # Verification may reach the denylist cache and the user table: off the loop.
            result = await sync_to_async(_authenticate)(request)
        except (AuthenticationError, AuthUnavailableError, CSRFRejectedError) as error:
            return _error_response(request, error)
        try:
            if result is None:
                return await get_response(request)
            async with bind(**_accept(request, result)):
                return await get_response(request)
        finally:
            end_request_context()
