"""Receivers of ``netrun.rbac``, connected by ``NetrunRbacConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from netrun.errors import TenantAccessDeniedError
from netrun.rbac.managers import tenant_attname
from netrun.rbac.models import TenantScopedModel

__all__ = ["guard_m2m_links"]


def guard_m2m_links(
    sender: Any, instance: Any, action: str, model: Any, pk_set: Any, **kwargs: Any
) -> None:
    """``m2m_changed`` receiver: a link between two tenant-scoped rows stays in one tenant."""
    if action != "pre_add" or not pk_set:
        return
    if not (isinstance(instance, TenantScopedModel) and issubclass(model, TenantScopedModel)):
        return
    instance._netrun_check_write(adding=False)
    own = getattr(instance, tenant_attname(type(instance)))
    matching = QuerySet(model).filter(pk__in=pk_set, **{tenant_attname(model): own}).count()
    if matching != len(pk_set):
        raise TenantAccessDeniedError(
            f"Cannot link {instance._meta.label} to another tenant's {model._meta.label}.",
            model=model._meta.label,
        )
