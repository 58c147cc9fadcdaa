"""Which models are tenant-scoped: for the RLS operations, checks and tools."""

from __future__ import annotations

from typing import Any

__all__ = ["tenant_scoped_models"]


def tenant_scoped_models(*, rls_only: bool = False) -> list[type[Any]]:
    """Every installed concrete :class:`~netrun.rbac.models.TenantScopedModel` subclass.

    ``rls_only`` keeps those with ``tenant_rls = True`` (the default), the tables the
    PostgreSQL row-level security operations cover.
    """
    from django.apps import apps

    from netrun.rbac.models import TenantScopedModel

    found = [
        model
        for model in apps.get_models()
        if issubclass(model, TenantScopedModel) and not model._meta.proxy
    ]
    return [m for m in found if m.tenant_rls] if rls_only else found
