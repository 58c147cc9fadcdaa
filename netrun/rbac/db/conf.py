"""Settings of PostgreSQL row-level security, read lazily at each use.

=========================================  ===========  =========================================
Setting                                    Default      Meaning
=========================================  ===========  =========================================
``NETRUN_RBAC_RLS_APP_ROLE``               ``None``     role the tenant policy is ``TO``
                                                        (``None``: ``PUBLIC``)
``NETRUN_RBAC_RLS_CROSS_TENANT_ROLE``      ``None``     role of the cross-tenant policy
``NETRUN_RBAC_RLS_DATABASE``               ``default``  alias the app connects with (RLS enforced)
``NETRUN_RBAC_RLS_OWNER_DATABASE``         ``owner``    alias migrations run on (table owner)
=========================================  ===========  =========================================
"""

from __future__ import annotations

from django.conf import settings

__all__ = ["app_alias", "app_role", "cross_tenant_role", "owner_alias"]


def _text(name: str, default: str | None) -> str | None:
    value = getattr(settings, name, default)
    return str(value) if value else default


def app_role() -> str | None:
    return _text("NETRUN_RBAC_RLS_APP_ROLE", None)


def cross_tenant_role() -> str | None:
    return _text("NETRUN_RBAC_RLS_CROSS_TENANT_ROLE", None)


def app_alias() -> str:
    return _text("NETRUN_RBAC_RLS_DATABASE", "default") or "default"


def owner_alias() -> str:
    return _text("NETRUN_RBAC_RLS_OWNER_DATABASE", "owner") or "owner"
