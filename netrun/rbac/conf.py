"""Settings of ``netrun.rbac``.

Each field reads (highest first) an explicit argument, the flat Django setting
``NETRUN_RBAC_<NAME>``, the environment variable ``RBAC_<NAME>``, ``.env``, the default:

* ``NETRUN_RBAC_ROLES``: role name -> permissions (``"app.codename"``, ``"app.*"``, ``"*"``);
  ``{}``. Tenants add their own roles in the database (:class:`~netrun.rbac.models.Role`).
* ``NETRUN_RBAC_TENANT_STRATEGIES``: how ``TenantMiddleware`` finds the tenant, in order;
  ``["jwt", "session", "header", "subdomain"]``.
* ``NETRUN_RBAC_TENANT_HEADER``: ``"X-Tenant-ID"``.
* ``NETRUN_RBAC_SUBDOMAIN_BASE``: ``"example.com"`` makes ``acme.example.com`` tenant
  ``acme``; ``None`` (off).
* ``NETRUN_RBAC_EXEMPT_PATHS``: regexes (``re.match`` on the path) the middleware skips; ``[]``.
* ``NETRUN_RBAC_BACKENDS``: dotted paths of permission backends, asked in order.
* ``NETRUN_RBAC_CASBIN_MODEL`` / ``NETRUN_RBAC_CASBIN_POLICY``: files for the casbin backend.
* ``NETRUN_RBAC_OWNER_ALIASES``: database aliases that bypass tenancy (the scanner flags
  ``.using()`` to them); ``["owner", "admin", "migrations"]``.

``TenantMiddleware``'s cache of tenants and memberships (:mod:`netrun.rbac._tenant_cache`):

* ``NETRUN_RBAC_TENANT_CACHE_SIZE``: entries per process; ``1024``; ``0`` turns it off.
* ``NETRUN_RBAC_TENANT_CACHE_TTL``: seconds an entry lives at most (the bound for changes no
  signal reports: ``QuerySet.update()``, raw SQL, another service); ``5``.
* ``NETRUN_RBAC_TENANT_CACHE_ALIAS``: the Django cache holding the generation every process
  compares per request, so a change saved anywhere is seen by the next request everywhere;
  ``"default"``; ``None``: per process only (other processes notice within the TTL).

PostgreSQL row-level security (:mod:`netrun.rbac.db`):

* ``NETRUN_RBAC_RLS_APP_ROLE``: the role the tenant policy is ``TO``; ``None`` (``PUBLIC``).
* ``NETRUN_RBAC_RLS_CROSS_TENANT_ROLE``: the role of the cross-tenant policy; ``None``.
* ``NETRUN_RBAC_RLS_DATABASE``: the alias the app connects with (RLS enforced); ``"default"``.
* ``NETRUN_RBAC_RLS_OWNER_DATABASE``: the alias migrations run on (table owner); ``"owner"``.
* ``NETRUN_RBAC_TENANT_SCOPE``: ``"session"``: the tenant is written once per session;
  ``"transaction"``: at the start of every transaction (poolers in transaction mode).
* ``NETRUN_RBAC_TENANT_SESSION_CHECK``: session scope only: ``"auto"`` reads the tenant back
  inside every transaction once a pooler is detected, ``"always"`` does so on every
  connection, ``"off"`` never.

Each field is the setting's name without ``NETRUN_RBAC_``, lower-cased (``conf.rls_database``).
``tenant_scope`` and ``tenant_session_check`` hold what was set: ``netrun.rbac.E007``/``E008``
report a bad value at start-up, and :meth:`RBACConfig.checked_tenant_scope` /
:meth:`~RBACConfig.checked_tenant_session_check` refuse it at use, never guess.

The tenant model is ``NETRUN_TENANT_MODEL`` (not prefixed, like ``AUTH_USER_MODEL``), read by
:mod:`netrun.rbac.swapping`. Framework-neutral: no Django import.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo

from netrun.config import BaseConfig, Field, NetrunConfigDict, app_settings, field_validator
from netrun.errors import ConfigurationError

__all__ = [
    "DEFAULT_BACKENDS",
    "SESSION_CHECKS",
    "STRATEGIES",
    "TENANT_CACHE_MAX_TTL",
    "TENANT_SCOPES",
    "RBACConfig",
    "conf",
]

#: The strategies ``TenantMiddleware`` knows.
STRATEGIES = ("jwt", "session", "header", "subdomain")
#: Values of ``NETRUN_RBAC_TENANT_SCOPE``.
TENANT_SCOPES = ("session", "transaction")
#: Values of ``NETRUN_RBAC_TENANT_SESSION_CHECK``.
SESSION_CHECKS = ("auto", "always", "off")
#: The longest ``NETRUN_RBAC_TENANT_CACHE_TTL`` accepted: a deactivated tenant that no signal
#: reported must not be served for longer than this.
TENANT_CACHE_MAX_TTL = 300.0

DEFAULT_BACKENDS = [
    "netrun.rbac.backends.RoleBackend",
    "netrun.rbac.backends.DjangoPermissionBackend",
    "netrun.rbac.backends.GuardianBackend",
]


class RBACConfig(BaseConfig):
    """Roles, tenant resolution and permission backends."""

    model_config = NetrunConfigDict(env_prefix="RBAC_", django_prefix="NETRUN_RBAC_")

    roles: dict[str, list[str]] = Field(
        default_factory=dict, description="Role name -> permissions granted to the role."
    )
    tenant_strategies: list[str] = Field(
        default_factory=lambda: list(STRATEGIES),
        description="Tenant resolution strategies, in order.",
    )
    tenant_header: str = Field("X-Tenant-ID", description="Header naming the tenant.")
    subdomain_base: str | None = Field(None, description="Base domain for subdomain tenants.")
    exempt_paths: list[str] = Field(
        default_factory=list, description="Path regexes TenantMiddleware skips."
    )
    backends: list[str] = Field(
        default_factory=lambda: list(DEFAULT_BACKENDS),
        description="Permission backends (dotted paths), asked in order.",
    )
    casbin_model: str | None = Field(None, description="casbin model file (RBAC with domains).")
    casbin_policy: str | None = Field(None, description="casbin policy file or adapter path.")
    owner_aliases: list[str] = Field(
        default_factory=lambda: ["owner", "admin", "migrations"],
        description="Database aliases that bypass tenancy.",
    )
    rls_app_role: str | None = Field(None, description="Role the tenant policy is TO.")
    rls_cross_tenant_role: str | None = Field(None, description="Role of the cross-tenant policy.")
    rls_database: str = Field("default", description="Alias the app connects with.")
    rls_owner_database: str = Field("owner", description="Alias migrations run on.")
    # str, not Literal: a bad value must not make every rbac setting unreadable; the checks
    # name it and the database backend refuses it (checked_tenant_scope()).
    tenant_scope: str = Field("session", description="session or transaction.")
    tenant_session_check: str = Field("auto", description="auto, always or off.")
    # Plain numbers, not constrained ones: a bad value is netrun.rbac.E010/E011, and the
    # middleware then runs without the cache rather than with a wrong one.
    tenant_cache_size: int = Field(
        1024, description="Tenants and memberships cached per process; 0 turns it off."
    )
    tenant_cache_ttl: float = Field(5.0, description="Seconds a cached entry lives at most.")
    tenant_cache_alias: str | None = Field(
        "default", description="Django cache of the cross-process generation; None: TTL only."
    )

    @field_validator(
        "rls_app_role", "rls_cross_tenant_role", "rls_database", "rls_owner_database", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or value == "":
            return cls.model_fields[str(info.field_name)].default
        return value

    @field_validator("tenant_cache_alias", mode="before")
    @classmethod
    def _blank_alias_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    def tenant_cache_usable(self) -> bool:
        """True when the cache is on and its size and TTL are sane (else it stays off)."""
        size, ttl = self.tenant_cache_size, self.tenant_cache_ttl
        return size > 0 and 0 < ttl <= TENANT_CACHE_MAX_TTL

    def checked_tenant_scope(self) -> str:
        """``tenant_scope``; :class:`ConfigurationError` when it is not one of the scopes."""
        return _one_of("NETRUN_RBAC_TENANT_SCOPE", self.tenant_scope, TENANT_SCOPES)

    def checked_tenant_session_check(self) -> str:
        """``tenant_session_check``; :class:`ConfigurationError` when it is unknown."""
        return _one_of(
            "NETRUN_RBAC_TENANT_SESSION_CHECK", self.tenant_session_check, SESSION_CHECKS
        )


def _one_of(setting: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        # Reported at start-up by netrun.rbac.E007/E008; refused here too, never guessed.
        raise ConfigurationError(f"{setting} must be one of {', '.join(choices)}; got {value!r}.")
    return value


conf = app_settings(RBACConfig)
