"""Django REST framework: JWT authentication and permissions on netrun tokens.

::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["netrun.auth.drf.JWTAuthentication"],
        "EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler",
    }

:class:`JWTAuthentication` reads ``Authorization: Bearer <token>``, verifies it (netrun keys,
or the configured IdP), puts the claims on ``request.auth`` and the user on
``request.user``, and binds the user and tenant in :mod:`netrun.core.context` until the
request ends (see :mod:`netrun.auth._request` for where that binding ends). A request
without a bearer token is left to the next authenticator. With
``NETRUN_AUTH_COOKIE_TRANSPORT`` the token may come from its httpOnly cookie instead, and an
unsafe request authenticated that way must pass Django's CSRF check (403 otherwise; see
:mod:`netrun.auth.cookies`). Failures are netrun errors (401
``TOKEN_INVALID`` / ``TOKEN_EXPIRED`` with ``WWW-Authenticate: Bearer``), answered in the
one envelope by netrun's exception handler.

Permissions (403 in the envelope): :class:`TenantMatchesURL` refuses a token for tenant A on
a URL of tenant B; :func:`roles_required` builds a permission class.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from netrun.auth._authenticate import authenticate_token
from netrun.auth._request import bind_request_context, resolve_user
from netrun.auth.audit import audit_failure
from netrun.auth.authz import check_tenant_access, require_roles
from netrun.auth.cookies import SAFE_METHODS, CSRFRejectedError, enforce_csrf, request_token
from netrun.auth.exceptions import (
    CHALLENGE,
    AuthenticationError,
    TokenRejectedError,
    with_challenge,
)

__all__ = [
    "JWTAuthentication",
    "TenantMatchesURL",
    "check_request_tenant",
    "roles_required",
    "with_challenge",
]


class JWTAuthentication(BaseAuthentication):
    """``Authorization: Bearer`` JWTs (or the access cookie); ``request.auth`` is the claims."""

    def authenticate(self, request: Request) -> tuple[Any, dict[str, Any]] | None:
        django_request = request._request
        # JWTAuthenticationMiddleware already verified this request (and bound the context).
        done = getattr(django_request, "netrun_auth", None)
        if done is not None:
            return done  # type: ignore[no-any-return]
        try:
            token, from_cookie = request_token(django_request)
        except TokenRejectedError as error:
            audit_failure(error)
            raise with_challenge(error) from None
        if token is None:
            return None
        if from_cookie and django_request.method not in SAFE_METHODS:
            # DRF views are csrf_exempt: the check SessionAuthentication makes, made here.
            try:
                enforce_csrf(django_request)
            except CSRFRejectedError as error:
                audit_failure(error, method="cookie")
                raise
        try:
            claims = authenticate_token(token)
            user = resolve_user(claims)
        except AuthenticationError as error:
            raise with_challenge(error) from None
        bind_request_context(claims)
        return user, claims

    def authenticate_header(self, request: Request) -> str:
        return CHALLENGE


def check_request_tenant(request: Request, tenant_id: object) -> None:
    """403 unless the request's token was issued for ``tenant_id`` (e.g. from the URL)."""
    claims = request.auth if isinstance(request.auth, dict) else {}
    check_tenant_access(claims, tenant_id)


class TenantMatchesURL(BasePermission):
    """The URL's tenant (``view.tenant_url_kwarg``, default ``tenant_id``) is the token's."""

    def has_permission(self, request: Request, view: Any) -> bool:
        kwarg = getattr(view, "tenant_url_kwarg", "tenant_id")
        check_request_tenant(request, view.kwargs.get(kwarg))
        return True


def roles_required(*roles: str, require_all: bool = False) -> type[BasePermission]:
    """A permission class that needs any (or all) of ``roles`` in the token."""

    class RolesRequired(BasePermission):
        def has_permission(self, request: Request, view: Any) -> bool:
            claims = request.auth if isinstance(request.auth, dict) else {}
            require_roles(claims, roles, require_all=require_all)
            return True

    RolesRequired.__name__ = RolesRequired.__qualname__ = f"RolesRequired({', '.join(roles)})"
    return RolesRequired
