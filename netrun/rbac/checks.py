"""System checks of ``netrun.rbac``, registered in ``NetrunRbacConfig.ready()``.

====================  =============================================================
ID                    Reported when
====================  =============================================================
``netrun.rbac.E001``  ``NETRUN_TENANT_MODEL`` is not ``"app_label.ModelName"``
``netrun.rbac.E002``  ``NETRUN_TENANT_MODEL`` names a model that is not installed
``netrun.rbac.E003``  a tenant-scoped model's default or base manager is not tenant-scoped
``netrun.rbac.E004``  ``NETRUN_RBAC_TENANT_STRATEGIES`` names an unknown strategy
``netrun.rbac.E005``  ``TenantMiddleware`` comes before ``AuthenticationMiddleware``
``netrun.rbac.E006``  a backend of ``NETRUN_RBAC_BACKENDS`` cannot be imported (or casbin
                      is configured but not installed)
``netrun.rbac.E007``  ``NETRUN_RBAC_TENANT_SCOPE`` is not ``"session"`` or ``"transaction"``
``netrun.rbac.E008``  ``NETRUN_RBAC_TENANT_SESSION_CHECK`` is not ``"auto"``, ``"always"`` or
                      ``"off"``
``netrun.rbac.E009``  transaction scope, and an alias on the RLS backend keeps server-side
                      cursors (``DISABLE_SERVER_SIDE_CURSORS`` is not ``True``): a ``WITH
                      HOLD`` cursor outlives its transaction, so a transaction pooler serves
                      its rows on another client's server session
``netrun.rbac.E010``  ``NETRUN_RBAC_TENANT_CACHE_SIZE`` is negative
``netrun.rbac.E011``  ``NETRUN_RBAC_TENANT_CACHE_TTL`` is not a number of seconds above 0 and
                      at most 300 (the cache stays off meanwhile)
``netrun.rbac.E012``  ``NETRUN_RBAC_TENANT_CACHE_ALIAS`` names a cache missing from ``CACHES``
``netrun.rbac.W008``  production, ``TenantMiddleware`` installed, and the tenant cache's
                      generation is per process (no alias, or a ``LocMemCache``): another
                      process's deactivation is seen only after the TTL
``netrun.rbac.W007``  session scope with ``NETRUN_RBAC_TENANT_SESSION_CHECK = "off"``: nothing
                      notices a transaction pooler, which serves one tenant's queries with
                      another tenant's setting
``netrun.rbac.E101``  row-level security, when the database is PostgreSQL and reachable:
-- ``W104``           a tenant table without RLS, FORCE, a policy or ``WITH CHECK``; an
                      app role that is superuser, BYPASSRLS, can become or inherits a
                      bypassing role, or owns a tenant table; unindexed tenant columns,
                      views without ``security_invoker``, materialized views over tenant
                      tables, tenant-unaware unique constraints. The full table is in
                      :mod:`netrun.rbac.db._validation`; ``manage.py netrun_rls_check``
                      reports the same findings with an exit code.
====================  =============================================================
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from netrun.errors import NetrunException

__all__ = [
    "check_backends",
    "check_managers",
    "check_middleware",
    "check_strategies",
    "check_tenant_cache",
    "check_tenant_model",
    "check_tenant_scope",
]

MIDDLEWARE_PATH = "netrun.rbac.middleware.TenantMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def check_tenant_model(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from django.apps import apps

    from netrun.rbac.swapping import TENANT_MODEL_SETTING, tenant_model_name

    name = tenant_model_name()
    parts = name.split(".") if isinstance(name, str) else []
    if len(parts) != 2 or not all(parts):
        return [
            Error(
                f"{TENANT_MODEL_SETTING} must be of the form 'app_label.ModelName', got {name!r}.",
                id="netrun.rbac.E001",
            )
        ]
    try:
        apps.get_model(name, require_ready=False)
    except LookupError:
        return [
            Error(
                f"{TENANT_MODEL_SETTING} refers to model {name!r}, which is not installed.",
                hint="Add its app to INSTALLED_APPS or fix the setting.",
                id="netrun.rbac.E002",
            )
        ]
    return []


def check_managers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from netrun.rbac.managers import TenantScopedManager
    from netrun.rbac.registry import tenant_scoped_models

    errors: list[CheckMessage] = []
    for model in tenant_scoped_models():
        for role, manager in (("default", model._default_manager), ("base", model._base_manager)):
            if not isinstance(manager, TenantScopedManager):
                errors.append(
                    Error(
                        f"{model._meta.label}'s {role} manager ({manager.name}) is not a "
                        "TenantScopedManager, so it can read other tenants' rows.",
                        hint="Subclass TenantScopedManager for custom managers, and keep "
                        "Meta.base_manager_name pointing at a scoped manager.",
                        obj=model,
                        id="netrun.rbac.E003",
                    )
                )
    return errors


def check_strategies(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from netrun.rbac.conf import STRATEGIES, conf

    try:
        strategies = conf.tenant_strategies
    except NetrunException:
        return []  # settings that do not validate are netrun.config.E007
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        return [
            Error(
                f"NETRUN_RBAC_TENANT_STRATEGIES names unknown strategies: {', '.join(unknown)}.",
                hint=f"Choose from {', '.join(STRATEGIES)}.",
                id="netrun.rbac.E004",
            )
        ]
    return []


def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if (
        MIDDLEWARE_PATH in middleware
        and AUTH_MIDDLEWARE in middleware
        and middleware.index(MIDDLEWARE_PATH) < middleware.index(AUTH_MIDDLEWARE)
    ):
        return [
            Error(
                "TenantMiddleware must come after AuthenticationMiddleware: it checks "
                "the user's membership.",
                id="netrun.rbac.E005",
            )
        ]
    return []


def check_backends(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from netrun.core.deps import is_available
    from netrun.rbac.conf import conf

    try:
        backends = conf.backends
    except NetrunException:
        return []  # settings that do not validate are netrun.config.E007
    errors: list[CheckMessage] = []
    for path in backends:
        try:
            import_string(path)
        except ImportError as error:
            errors.append(
                Error(
                    f"NETRUN_RBAC_BACKENDS: cannot import {path!r} ({error}).",
                    id="netrun.rbac.E006",
                )
            )
            continue
        if path.endswith("CasbinBackend") and not is_available("casbin"):
            errors.append(
                Error(
                    "NETRUN_RBAC_BACKENDS uses the casbin backend but pycasbin is not installed.",
                    hint='pip install "netrun[casbin]"',
                    id="netrun.rbac.E006",
                )
            )
    return errors


RLS_ENGINE = "netrun.rbac.db.backends.postgresql"


def check_tenant_scope(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from netrun.rbac.conf import SESSION_CHECKS, TENANT_SCOPES, conf

    try:
        scope, check = conf.tenant_scope, conf.tenant_session_check
    except NetrunException:
        return []  # settings that do not validate are netrun.config.E007
    messages: list[CheckMessage] = []
    if scope not in TENANT_SCOPES:
        messages.append(
            Error(
                f"NETRUN_RBAC_TENANT_SCOPE must be one of {', '.join(TENANT_SCOPES)}; "
                f"got {scope!r}.",
                hint='"transaction" behind a pooler in transaction mode (PgBouncer, RDS Proxy, '
                'Supavisor, pgcat), "session" otherwise.',
                id="netrun.rbac.E007",
            )
        )
    if check not in SESSION_CHECKS:
        messages.append(
            Error(
                f"NETRUN_RBAC_TENANT_SESSION_CHECK must be one of {', '.join(SESSION_CHECKS)}; "
                f"got {check!r}.",
                id="netrun.rbac.E008",
            )
        )
    databases: dict[str, dict[str, Any]] = getattr(settings, "DATABASES", {})
    rls_aliases = [alias for alias, entry in databases.items() if entry.get("ENGINE") == RLS_ENGINE]
    if scope == "transaction":
        for alias in rls_aliases:
            if databases[alias].get("DISABLE_SERVER_SIDE_CURSORS") is not True:
                messages.append(
                    Error(
                        f"DATABASES[{alias!r}] keeps server-side cursors in transaction scope: "
                        "QuerySet.iterator() outside a transaction declares a WITH HOLD "
                        "cursor, which outlives its transaction and so its tenant, and a "
                        "transaction pooler fetches from it on any client's behalf.",
                        hint=f"Set DATABASES[{alias!r}]['DISABLE_SERVER_SIDE_CURSORS'] = True.",
                        obj=f"DATABASES[{alias!r}]",
                        id="netrun.rbac.E009",
                    )
                )
    elif scope == "session" and check == "off" and rls_aliases:
        messages.append(
            Warning(
                'NETRUN_RBAC_TENANT_SESSION_CHECK = "off": a session-scoped connection never '
                "checks that the server session still holds its tenant. Behind a pooler in "
                "transaction mode, queries then run with another tenant's setting.",
                hint='Keep "auto" (free without a pooler), or set NETRUN_RBAC_TENANT_SCOPE = '
                '"transaction" behind a transaction pooler.',
                id="netrun.rbac.W007",
            )
        )
    return messages


PER_PROCESS_CACHES = ("LocMemCache", "DummyCache")


def check_tenant_cache(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from netrun.rbac.conf import TENANT_CACHE_MAX_TTL, conf

    try:
        size, ttl, alias = conf.tenant_cache_size, conf.tenant_cache_ttl, conf.tenant_cache_alias
    except NetrunException:
        return []  # settings that do not validate are netrun.config.E007
    messages: list[CheckMessage] = []
    if size < 0:
        messages.append(
            Error(
                f"NETRUN_RBAC_TENANT_CACHE_SIZE must be 0 (off) or more; got {size!r}.",
                id="netrun.rbac.E010",
            )
        )
    # "not 0 < ttl" also catches NaN.
    if not 0 < ttl <= TENANT_CACHE_MAX_TTL:
        messages.append(
            Error(
                f"NETRUN_RBAC_TENANT_CACHE_TTL must be above 0 and at most "
                f"{TENANT_CACHE_MAX_TTL:g} seconds; got {ttl!r}. The tenant cache is off "
                "until it is.",
                hint="It bounds how long a change no signal reports (QuerySet.update(), raw "
                "SQL) goes unseen; set NETRUN_RBAC_TENANT_CACHE_SIZE = 0 to turn the cache off.",
                id="netrun.rbac.E011",
            )
        )
    caches: dict[str, dict[str, Any]] = getattr(settings, "CACHES", {}) or {}
    if alias is not None and alias not in caches:
        messages.append(
            Error(
                f"NETRUN_RBAC_TENANT_CACHE_ALIAS {alias!r} is not in CACHES.",
                hint="Name a cache every process shares (Redis), or None to rely on the TTL.",
                id="netrun.rbac.E012",
            )
        )
        return messages
    backend = str(caches.get(alias, {}).get("BACKEND", "")) if alias is not None else ""
    per_process = alias is None or backend.endswith(PER_PROCESS_CACHES)
    installed = MIDDLEWARE_PATH in (getattr(settings, "MIDDLEWARE", None) or [])
    if size > 0 and per_process and installed and conf.is_production:
        messages.append(
            Warning(
                "TenantMiddleware's cache compares a per-process generation: a tenant or "
                "membership another process deactivates or deletes is still accepted here "
                f"for up to NETRUN_RBAC_TENANT_CACHE_TTL ({ttl:g} s).",
                hint="Point NETRUN_RBAC_TENANT_CACHE_ALIAS at a cache every process shares "
                "(django.core.cache.backends.redis.RedisCache), or set "
                "NETRUN_RBAC_TENANT_CACHE_SIZE = 0.",
                id="netrun.rbac.W008",
            )
        )
    return messages
