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

Tenants and memberships found are cached per process (:mod:`netrun.rbac._tenant_cache`):
a save or delete of a tenant or membership anywhere is seen by the next request, and
anything else (``QuerySet.update()``, raw SQL) within ``NETRUN_RBAC_TENANT_CACHE_TTL``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db.models.base import ModelState
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from netrun.config import get_settings
from netrun.core.context import tenant_context
from netrun.core.middleware import (
    AsyncGetResponse,
    GetResponse,
    HybridMiddleware,
    stream_in_context,
)
from netrun.errors import NetrunException, ResourceNotFoundError, TenantAccessDeniedError
from netrun.errors.django import error_response
from netrun.logging import get_logger
from netrun.rbac._tenant_cache import MISSING, TenantCache
from netrun.rbac.access import membership_for
from netrun.rbac.conf import RBACConfig, conf
from netrun.rbac.signals import tenant_resolved
from netrun.rbac.swapping import get_tenant_model

__all__ = [
    "TenantMiddleware",
    "clear_tenant_cache",
    "connect_invalidation",
    "invalidate_on_change",
    "lookup_tenant",
    "resolve_tenant",
    "tenant_cache",
]

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


# ----------------------------------------------------------------------------- the cache


def _copied(value: Any) -> Any:
    """A model instance's own copy (field values and ``_state``, no related cache); else as is."""
    state = getattr(value, "_state", None)
    if state is None:
        return value
    clone = value.__class__.__new__(value.__class__)
    clone.__dict__.update(value.__dict__)
    clone._state = ModelState()
    clone._state.db = state.db
    clone._state.adding = state.adding
    return clone


def _shared_store(alias: str | None) -> Callable[[], Any] | None:
    """What returns the Django cache of the generation; ``None`` when it would be per process.

    A ``LocMemCache`` generation tells nothing the in-process receivers did not, so it is
    not read at all (a ``DummyCache`` is: it keeps nothing, so nothing is answered from
    memory). A missing alias is netrun.rbac.E012: looking it up fails, and the database
    decides.
    """
    if alias is None:
        return None
    backend = str((getattr(settings, "CACHES", None) or {}).get(alias, {}).get("BACKEND", ""))
    if backend.endswith("LocMemCache"):
        return None

    def store() -> Any:
        return caches[alias]

    return store


_cache: tuple[RBACConfig, Any, TenantCache | None] | None = None
_cache_lock = threading.Lock()


def tenant_cache() -> TenantCache | None:
    """The process's tenant cache, built from settings (again when they change); ``None``: off."""
    global _cache
    config = get_settings(RBACConfig)
    # CACHES too: override_settings(CACHES=...) replaces the object.
    caches_setting = getattr(settings, "CACHES", None)
    current = _cache
    if current is not None and current[0] is config and current[1] is caches_setting:
        return current[2]
    with _cache_lock:
        if _cache is None or _cache[0] is not config or _cache[1] is not caches_setting:
            built = None
            # A bad size or TTL is netrun.rbac.E010/E011; meanwhile the database decides.
            if config.tenant_cache_usable():
                built = TenantCache(
                    size=config.tenant_cache_size,
                    ttl=config.tenant_cache_ttl,
                    shared_store=_shared_store(config.tenant_cache_alias),
                    copy=_copied,
                )
            _cache = (config, caches_setting, built)
        return _cache[2]


def clear_tenant_cache() -> None:
    """Forget cached tenants and memberships in every process (after a bulk ``update()``)."""
    cache = tenant_cache()
    if cache is not None:
        cache.invalidate()


def invalidate_on_change(sender: Any, **kwargs: Any) -> None:
    """``post_save``/``post_delete`` receiver of the tenant model and ``Membership``."""
    from django.db import transaction

    cache = tenant_cache()
    if cache is None:
        return
    cache.invalidate()
    # Again once the change is visible to others: a process that read the new generation
    # before the commit may have cached the old row under it.
    transaction.on_commit(cache.invalidate, using=kwargs.get("using"))


def connect_invalidation() -> None:
    """Connect :func:`invalidate_on_change` (called by ``NetrunRbacConfig.ready()``)."""
    from django.db.models.signals import post_delete, post_save

    from netrun.rbac.models import Membership

    try:
        tenant_model = get_tenant_model()
    except (LookupError, ValueError):
        tenant_model = None  # netrun.rbac.E001/E002 say why
    for model in (tenant_model, Membership):
        if model is None:
            continue
        for signal, name in ((post_save, "save"), (post_delete, "delete")):
            signal.connect(
                invalidate_on_change,
                sender=model,
                dispatch_uid=f"netrun_rbac_tenant_cache_{name}_{model._meta.label}",
            )


def lookup_tenant(value: str) -> Any:
    """The tenant whose primary key or slug is ``value``, or ``None`` (cached when found)."""
    cache = tenant_cache()
    return _lookup(value, cache, cache.generation() if cache is not None else None)


def _lookup(value: str, cache: TenantCache | None, generation: str | None) -> Any:
    if cache is None:
        return _query_tenant(value)
    key = ("tenant", value)
    tenant = cache.get(key, generation)
    if tenant is MISSING:
        tenant = _query_tenant(value)
        if tenant is not None:
            cache.put(key, generation, tenant)
    return tenant


def _query_tenant(value: str) -> Any:
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


def _is_member(
    request: HttpRequest, tenant: Any, cache: TenantCache | None, generation: str | None
) -> bool:
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return False
    user_pk = getattr(user, "pk", None)
    if cache is None or user_pk is None:
        return membership_for(user, tenant.pk) is not None
    # The user's class is part of the key: a token's stateless user and a database user
    # may share a pk. Only "is a member" is cached; a refusal asks again next time.
    key = ("member", type(user), user_pk, tenant.pk)
    if cache.get(key, generation) is True:
        return True
    member = membership_for(user, tenant.pk) is not None
    if member:
        cache.put(key, generation, True)
    return member


def resolve_tenant(request: HttpRequest) -> Any:
    """The tenant the request is for, checked; ``None`` when nothing names one.

    Raises ``TenantAccessDeniedError`` (unknown to a non-member, not a member, two strategies
    disagree, inactive) or ``ResourceNotFoundError`` (a token naming an unknown tenant).
    """
    return _resolve(request, get_settings(RBACConfig))


def _resolve(request: HttpRequest, config: RBACConfig) -> Any:
    named = [
        (name, value)
        for name in config.tenant_strategies
        if name in STRATEGY_FUNCTIONS and (value := STRATEGY_FUNCTIONS[name](request))
    ]
    if not named:
        return None
    strategy, value = named[0]
    trusted = strategy == "jwt"
    # One generation per request: every answer below comes from the same state.
    cache = tenant_cache()
    generation = cache.generation() if cache is not None else None
    tenant = _lookup(value, cache, generation)
    if tenant is None:
        logger.warning("rbac_tenant_unknown", strategy=strategy)
        if trusted:
            raise ResourceNotFoundError("Unknown tenant.", resource="tenant")
        raise TenantAccessDeniedError()
    if not trusted and not _is_member(request, tenant, cache, generation):
        logger.warning("rbac_tenant_not_member", strategy=strategy, tenant_id=str(tenant.pk))
        raise TenantAccessDeniedError()
    for other_strategy, other_value in named[1:]:
        other = _lookup(other_value, cache, generation)
        if other is None or other.pk != tenant.pk:
            logger.warning("rbac_tenant_conflict", strategy=strategy, other=other_strategy)
            raise TenantAccessDeniedError()
    if not tenant.is_active:
        logger.warning("rbac_tenant_inactive", tenant_id=str(tenant.pk))
        raise TenantAccessDeniedError("This tenant is inactive.", tenant=tenant.slug)
    return tenant


class TenantMiddleware(HybridMiddleware):
    """Resolve and bind the request's tenant (sync and async capable)."""

    def _exempt(self, request: HttpRequest, config: RBACConfig) -> bool:
        paths = config.exempt_paths
        return bool(paths) and any(re.match(pattern, request.path_info) for pattern in paths)

    def handle(self, request: HttpRequest, get_response: GetResponse) -> HttpResponseBase:
        config = get_settings(RBACConfig)
        if self._exempt(request, config):
            return get_response(request)
        try:
            tenant = _resolve(request, config)
        except NetrunException as error:
            return error_response(request, error)
        if tenant is None:
            return get_response(request)
        request.tenant = tenant  # type: ignore[attr-defined]
        with tenant_context(str(tenant.pk)):
            tenant_resolved.send(sender=TenantMiddleware, request=request, tenant=tenant)
            return stream_in_context(get_response(request))

    async def ahandle(
        self, request: HttpRequest, get_response: AsyncGetResponse
    ) -> HttpResponseBase:
        config = get_settings(RBACConfig)
        if self._exempt(request, config):
            return await get_response(request)
        try:
            tenant = await sync_to_async(_resolve)(request, config)
        except NetrunException as error:
            return error_response(request, error)
        if tenant is None:
            return await get_response(request)
        request.tenant = tenant  # type: ignore[attr-defined]
        async with tenant_context(str(tenant.pk)):
            await tenant_resolved.asend(sender=TenantMiddleware, request=request, tenant=tenant)
            return stream_in_context(await get_response(request))
