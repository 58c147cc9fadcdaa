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

The tenant model is ``NETRUN_TENANT_MODEL`` (not prefixed, like ``AUTH_USER_MODEL``), read by
:mod:`netrun.rbac.swapping`. Framework-neutral: no Django import.
"""

from __future__ import annotations

from netrun.config import BaseConfig, Field, NetrunConfigDict, app_settings

__all__ = ["DEFAULT_BACKENDS", "STRATEGIES", "RBACConfig", "conf"]

#: The strategies ``TenantMiddleware`` knows.
STRATEGIES = ("jwt", "session", "header", "subdomain")

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


conf = app_settings(RBACConfig)
