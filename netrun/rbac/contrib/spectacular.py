"""drf-spectacular: ``X-Tenant-ID`` and the tenant-scoped permissions of each operation.

::

    SPECTACULAR_SETTINGS = {
        "POSTPROCESSING_HOOKS": [
            ...,
            "netrun.errors.contrib.spectacular.postprocess_error_responses",
            "netrun.rbac.contrib.spectacular.postprocess_tenancy",
        ],
    }

With ``TenantMiddleware`` installed and the ``header`` strategy on, every operation outside
``NETRUN_RBAC_EXEMPT_PATHS`` takes the optional tenant header (``NETRUN_RBAC_TENANT_HEADER``,
``X-Tenant-ID``) and may answer 403 ``TENANT_ACCESS_DENIED``. An operation whose view has a
netrun.rbac permission (:mod:`netrun.rbac.drf`) says so: ``x-netrun-tenant-scoped: true``,
the roles and permissions it needs in ``x-netrun-roles`` / ``x-netrun-permissions``, a
paragraph of its description, the 403 (``TENANT_ACCESS_DENIED``, ``PERMISSION_DENIED``) and
the 400 ``TENANT_REQUIRED`` of a request that names no tenant.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from netrun.errors.contrib.spectacular import add_error_response, iter_operations
from netrun.rbac.conf import conf
from netrun.rbac.drf import IsTenantMember

__all__ = ["postprocess_tenancy", "tenant_parameter"]

_MIDDLEWARE = "netrun.rbac.middleware.TenantMiddleware"


def tenant_parameter() -> dict[str, Any]:
    """The tenant header as an OpenAPI parameter object."""
    return {
        "name": conf.tenant_header,
        "in": "header",
        "required": False,
        "description": (
            "The tenant to act in, by ID or slug, for callers whose token names none "
            "(session users). It must agree with the token's tenant_id claim when both are "
            "sent; a tenant that does not exist or that you are not a member of is the same "
            "403 TENANT_ACCESS_DENIED."
        ),
        # No length limits: the middleware refuses what it does not know, with the 403.
        "schema": {"type": "string"},
    }


def _scoped(view: Any) -> tuple[bool, list[str], list[str]]:
    """Whether the view is tenant-scoped, the roles (any of) and permissions (all) it needs."""
    scoped, roles, perms = False, set[str](), list[str]()
    for permission in view.get_permissions():
        if not isinstance(permission, IsTenantMember):
            continue
        scoped = True
        roles.update(getattr(permission, "required_roles", ()))
        required = getattr(permission, "required_permission", None)
        if required is not None:
            perms.append(required)
    return scoped, sorted(roles), perms


def _paragraph(roles: list[str], perms: list[str]) -> str:
    text = (
        "**Tenant-scoped.** The caller must be an active member of the request's tenant "
        "(the token's tenant_id claim, or the tenant header); every object it reads or "
        "writes belongs to that tenant, and another tenant's objects are not found (404)."
    )
    if roles:
        text += f" Role: any of {', '.join(roles)}."
    if perms:
        text += f" Permissions: {', '.join(perms)}."
    return text


def postprocess_tenancy(
    result: dict[str, Any], generator: SchemaGenerator, request: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: the tenant header and the tenant-scoped permissions."""
    installed = _MIDDLEWARE in settings.MIDDLEWARE
    header = installed and "header" in conf.tenant_strategies
    exempt = [re.compile(pattern) for pattern in conf.exempt_paths]
    for path, _method, operation, view in iter_operations(result, generator, request):
        if header and not any(pattern.search(path) for pattern in exempt):
            parameters = operation.setdefault("parameters", [])
            name = conf.tenant_header.lower()
            if not any(
                p.get("in") == "header" and p.get("name", "").lower() == name for p in parameters
            ):
                parameters.append(tenant_parameter())
            add_error_response(result, operation, 403)
        scoped, roles, perms = _scoped(view)
        if not scoped:
            continue
        operation["x-netrun-tenant-scoped"] = True
        operation["x-netrun-roles"] = roles
        operation["x-netrun-permissions"] = perms
        paragraph = _paragraph(roles, perms)
        description = operation.get("description", "")
        operation["description"] = f"{description}\n\n{paragraph}" if description else paragraph
        forbidden = add_error_response(result, operation, 403)
        # TENANT_REQUIRED: no tenant named. With the headers earlier hooks gave the 403
        # (X-Correlation-ID, the RateLimit-* fields), which every response has.
        add_error_response(result, operation, 400, headers=dict(forbidden.get("headers", {})))
    return result
