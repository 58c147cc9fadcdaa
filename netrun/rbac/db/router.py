"""``DATABASE_ROUTERS`` entry: tenant data through the RLS alias, migrations as the owner.

::

    DATABASES = {
        "default": {"ENGINE": "netrun.rbac.db.backends.postgresql", "USER": "app", ...},
        "owner": {"ENGINE": "netrun.rbac.db.backends.postgresql", "USER": "owner", ...},
    }
    DATABASE_ROUTERS = ["netrun.rbac.db.router.TenantRLSRouter"]

    # manage.py migrate --database owner
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from netrun.rbac.conf import conf

__all__ = ["TenantRLSRouter"]


def _is_tenant_model(model: Any) -> bool:
    from netrun.rbac.models import TenantScopedModel

    if isinstance(model, type) and issubclass(model, TenantScopedModel):
        return True
    # An auto-created many-to-many table of a tenant-scoped model.
    meta = getattr(model, "_meta", None)
    if meta is None or not meta.auto_created:
        return False
    return any(
        isinstance(getattr(f, "related_model", None), type)
        and issubclass(f.related_model, TenantScopedModel)
        for f in meta.get_fields()
    )


class TenantRLSRouter:
    """Tenant-scoped models read and write on ``NETRUN_RBAC_RLS_DATABASE`` (where the app
    role is subject to the policies); migrations run only on ``NETRUN_RBAC_RLS_OWNER_DATABASE``
    (the role that owns the tables). Other models are left to the next router."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return conf.rls_database if _is_tenant_model(model) else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return conf.rls_database if _is_tenant_model(model) else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        owner = conf.rls_owner_database
        if owner not in settings.DATABASES:
            # No owner alias configured: no opinion (single-alias development setups).
            return None
        return db == owner
