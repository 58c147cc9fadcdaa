"""Netrun RBAC.

Level 3: tenants, roles and permissions, the tenant context from request to Celery task, the
ORM wall (``TenantScopedModel``) and the tenant isolation testing kit.

This module imports without Django settings configured and never imports models. The names
below are framework-neutral; the Django glue is referenced by dotted path:
``netrun.rbac.models.TenantScopedModel``, ``netrun.rbac.middleware.TenantMiddleware``,
``netrun.rbac.drf`` (``IsTenantMember``, ``HasRole``, ``HasPermission``),
``netrun.rbac.decorators``, ``netrun.rbac.access`` (``has_permission``,
``objects_for_user``), ``netrun.rbac.celery`` (``tenant_task``), ``netrun.rbac.admin``.
"""

from __future__ import annotations

from netrun.rbac._permissions import (
    Decision,
    PermissionBackend,
    PermissionChecker,
    RoleBackend,
    Subject,
    TokenPermissionsBackend,
    permission_matches,
    permissions_for_roles,
)
from netrun.rbac.context import BackgroundTaskTenantContext, TenantTestContext
from netrun.rbac.scanner import TenantEscapePathScanner, Violation
from netrun.rbac.scope import is_unscoped, require_tenant, unscoped

__all__ = [
    "BackgroundTaskTenantContext",
    "Decision",
    "PermissionBackend",
    "PermissionChecker",
    "RoleBackend",
    "Subject",
    "TenantEscapePathScanner",
    "TenantTestContext",
    "TokenPermissionsBackend",
    "Violation",
    "is_unscoped",
    "permission_matches",
    "permissions_for_roles",
    "require_tenant",
    "unscoped",
]
