"""Permission backends for Django: roles (settings and tenant-defined), Django permissions,
django-guardian object permissions (checked against the current tenant too) and casbin.

Each implements :class:`netrun.rbac._permissions.PermissionBackend`; ``NETRUN_RBAC_BACKENDS``
lists them by dotted path, each built with no arguments.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from netrun.core.deps import is_available, require
from netrun.rbac import _permissions as core
from netrun.rbac.conf import conf
from netrun.rbac.models import same_tenant

__all__ = ["CasbinBackend", "DjangoPermissionBackend", "GuardianBackend", "RoleBackend"]


class RoleBackend(core.RoleBackend):
    """Roles from ``NETRUN_RBAC_ROLES`` plus the tenant's own :class:`~netrun.rbac.models.Role`\\ s."""

    def __init__(self, role_permissions: Mapping[str, Iterable[str]] | None = None) -> None:
        super().__init__(conf.roles if role_permissions is None else role_permissions)

    def has_perm(self, subject: core.Subject, perm: str, obj: Any = None) -> bool | None:
        if super().has_perm(subject, perm, obj):
            return True
        if subject.tenant_id is None or not subject.roles:
            return None
        from netrun.rbac.models import Role

        rows = Role.objects.filter(tenant_id=subject.tenant_id, name__in=subject.roles)
        for granted in rows.values_list("permissions", flat=True):
            if any(core.permission_matches(str(g), perm) for g in granted or ()):
                return True
        return None


class DjangoPermissionBackend:
    """Model-level Django permissions (``user.has_perm``); object checks are guardian's."""

    def has_perm(self, subject: core.Subject, perm: str, obj: Any = None) -> bool | None:
        user = subject.user
        if obj is not None or user is None or not isinstance(user, models.Model):
            return None
        return True if user.has_perm(perm) else None  # type: ignore[attr-defined]


class GuardianBackend:
    """django-guardian object permissions, and a veto for objects of another tenant."""

    def has_perm(self, subject: core.Subject, perm: str, obj: Any = None) -> bool | None:
        if obj is None:
            return None
        tenant_of_obj = getattr(obj, "tenant_id", None)
        if tenant_of_obj is not None and not same_tenant(tenant_of_obj, subject.tenant_id):
            return False  # another tenant's object: no permission can grant it
        user = subject.user
        if user is None or not isinstance(user, models.Model) or not is_available("guardian"):
            return None
        from guardian.core import ObjectPermissionChecker

        return True if ObjectPermissionChecker(user).has_perm(perm, obj) else None


class CasbinBackend:
    """pycasbin RBAC with domains: ``enforce(user_id, tenant_id, app_label, codename)``.

    The enforcer is built on first use (never in ``ready()``, before migrations) from
    ``NETRUN_RBAC_CASBIN_MODEL`` and ``NETRUN_RBAC_CASBIN_POLICY``, or passed in.
    """

    def __init__(self, enforcer: Any = None) -> None:
        self._enforcer = enforcer
        self._lock = threading.Lock()

    @property
    def enforcer(self) -> Any:
        if self._enforcer is None:
            with self._lock:
                if self._enforcer is None:
                    require("casbin", feature="casbin permission backend", extra="casbin")
                    import casbin

                    self._enforcer = casbin.Enforcer(conf.casbin_model, conf.casbin_policy)
        return self._enforcer

    def has_perm(self, subject: core.Subject, perm: str, obj: Any = None) -> bool | None:
        if subject.user_id is None or subject.tenant_id is None:
            return None
        app_label, _, codename = perm.partition(".")
        allowed = self.enforcer.enforce(subject.user_id, subject.tenant_id, app_label, codename)
        return True if allowed else None
