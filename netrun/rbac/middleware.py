"""``TenantMiddleware``: find the request's tenant, check the user may act in it, bind it.

Place it after ``AuthenticationMiddleware`` (and after
``netrun.auth.middleware.JWTAuthenticationMiddleware`` when tokens are used)::

    MIDDLEWARE = [..., "django.contrib.auth.middleware.AuthenticationMiddleware",
                  "netrun.auth.middleware.JWTAuthenticationMiddleware",
                  "netrun.rbac.middleware.TenantMiddleware", ...]

The strategies of ``NETRUN_RBAC_TENANT_STRATEGIES`` are asked in order:

* ``jwt``: the ``tenant_id`` claim of the verified token (``request.auth``), trusted as is;
* ``session``: ``request.session["netrun_tenant_id"]`` (set by ``netrun.oauth`` logins);
* ``header``: ``X-Tenant-ID`` (``NETRUN_RBAC_TENANT_HEADER``), an ID or a slug;
* ``subdomain``: ``acme.<NETRUN_RBAC_SUBDOMAIN_BASE>``.

The first value names the tenant; unless the token named it, the user must be an active
member. Whatever keeps a request out (an unknown tenant, one the user is not a member of,
another strategy naming a different tenant) is the same 403 ``TENANT_ACCESS_DENIED`` with the
same generic message, so the answers do not tell which tenants exist (anonymous users
could otherwise enumerate them by ``X-Tenant-ID``); the log line says which it was. An
inactive tenant is a 403 saying so only to its members and to a token naming it; a token
(signed by the server) naming an unknown tenant is a 404. The tenant is bound in
:mod:`netrun.core.context` for the request (its canonical ID, even when a slug named it) and
put on ``request.tenant``; the previous context is restored afterwards. A request that names
no tenant runs with none, so tenant-scoped queries fail closed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from netrun.core.context import tenant_context
from netrun.core.middleware import AsyncGetResponse, GetResponse, HybridMiddleware
from netrun.errors import NetrunException, ResourceNotFoundError, TenantAccessDeniedError
from netrun.errors.django import error_response
from netrun.logging import get_logger
from netrun.rbac.access import membership_for
from netrun.rbac.conf import conf
from netrun.rbac.signals import tenant_resolved
from netrun.rbac.swapping import get_tenant_model

__all__ = ["TenantMiddleware", "lookup_tenant", "resolve_tenant"]

logger = get_logger("netrun.rbac")

#: The session key netrun.oauth writes.
SESSION_KEY = "netrun_tenant_id"


def _from_jwt(request: HttpRequest) -> str | None:
    claims = getattr(request, "auth", None)
    if not isinstance(claims, dict):
        done = getattr(request, "netrun_auth", None)
        claims = done[1] if isinstance(done, tuple) and len(done) == 2 else None
    if isinstance(claims, dict) and claims.get("tenant_id") not in (None, ""):
        return str(claims["tenant_id"])
    return None


def _from_session(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    value = session.get(SESSION_KEY) if session is not None else None
    return str(value) if value else None


def _from_header(request: HttpRequest) -> str | None:
    value = request.headers.get(conf.tenant_header, "").strip()
    return value or None


def _from_subdomain(request: HttpRequest) -> str | None:
    base = (conf.subdomain_base or "").lower().strip(".")
    if not base:
        return None
    host = request.get_host().rsplit(":", 1)[0].lower()
    if not host.endswith("." + base):
        return None
    label = host[: -len(base) - 1]
    return label if label and "." not in label and label != "www" else None


STRATEGY_FUNCTIONS: dict[str, Callable[[HttpRequest], str | None]] = {
    "jwt": _from_jwt,
    "session": _from_session,
    "header": _from_header,
    "subdomain": _from_subdomain,
}


def lookup_tenant(value: str) -> Any:
    """The tenant whose primary key or slug is ``value``, or ``None``."""
    model = get_tenant_model()
    try:
        pk = model._meta.pk.to_python(value)
    except (ValidationError, ValueError, TypeError):
        pk = None
    if pk is not None:
        found = model._default_manager.filter(pk=pk).first()
        if found is not None:
            return found
    return model._default_manager.filter(slug=value).first()


def _is_member(request: HttpRequest, tenant: Any) -> bool:
    user = getattr(request, "user", None)
    return bool(getattr(user, "is_authenticated", False)) and (
        membership_for(user, tenant.pk) is not None
    )


def resolve_tenant(request: HttpRequest) -> Any:
    """The tenant the request is for, checked; ``None`` when nothing names one.

    Raises ``TenantAccessDeniedError`` (unknown to a non-member, not a member, two strategies
    disagree, inactive) or ``ResourceNotFoundError`` (a token naming an unknown tenant).
    """
    named = [
        (name, value)
        for name in conf.tenant_strategies
        if name in STRATEGY_FUNCTIONS and (value := STRATEGY_FUNCTIONS[name](request))
    ]
    if not named:
        return None
    strategy, value = named[0]
    trusted = strategy == "jwt"
    tenant = lookup_tenant(value)
    if tenant is None:
        logger.warning("rbac_tenant_unknown", strategy=strategy)
        if trusted:
            raise ResourceNotFoundError("Unknown tenant.", resource="tenant")
        raise TenantAccessDeniedError()
    if not trusted and not _is_member(request, tenant):
        logger.warning("rbac_tenant_not_member", strategy=strategy, tenant_id=str(tenant.pk))
        raise TenantAccessDeniedError()
    for other_strategy, other_value in named[1:]:
        other = lookup_tenant(other_value)
        if other is None or other.pk != tenant.pk:
            logger.warning("rbac_tenant_conflict", strategy=strategy, other=other_strategy)
            raise TenantAccessDeniedError()
    if not tenant.is_active:
        logger.warning("rbac_tenant_inactive", tenant_id=str(tenant.pk))
        raise TenantAccessDeniedError("This tenant is inactive.", tenant=tenant.slug)
    return tenant


class TenantMiddleware(HybridMiddleware):
    """Resolve and bind the request's tenant (sync and async capable)."""

    def _exempt(self, request: HttpRequest) -> bool:
        return any(re.match(pattern, request.path_info) for pattern in conf.exempt_paths)

    def handle(self, request: HttpRequest, get_response: GetResponse) -> HttpResponseBase:
        if self._exempt(request):
            return get_response(request)
        try:
            tenant = resolve_tenant(request)
        except NetrunException as error:
            return error_response(request, error)
        if tenant is None:
            return get_response(request)
        request.tenant = tenant  # type: ignore[attr-defined]
        with tenant_context(str(tenant.pk)):
            tenant_resolved.send(sender=TenantMiddleware, request=request, tenant=tenant)
            return get_response(request)

    async def ahandle(
        self, request: HttpRequest, get_response: AsyncGetResponse
    ) -> HttpResponseBase:
        if self._exempt(request):
            return await get_response(request)
        try:
            tenant = await sync_to_async(resolve_tenant)(request)
        except NetrunException as error:
            return error_response(request, error)
        if tenant is None:
            return await get_response(request)
        request.tenant = tenant  # type: ignore[attr-defined]
        async with tenant_context(str(tenant.pk)):
            await tenant_resolved.asend(sender=TenantMiddleware, request=request, tenant=tenant)
            return await get_response(request)
