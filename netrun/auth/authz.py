"""Authorization on verified claims: roles, permissions, the tenant of a resource, casbin.

These raise 403 errors in the one envelope and log ``auth_failed`` (reason
``permission_denied`` / ``tenant_mismatch``)::

    claims = request.auth
    require_roles(claims, ["admin", "agent"])          # any of them
    check_tenant_access(claims, tenant_id=kwargs["tenant_id"])

``check_tenant_access`` is the guard for URLs that name a tenant (``/tenants/<id>/...``): a
token issued for tenant A is refused on tenant B's resources, whatever else it may do.

The optional casbin hook (``pip install "netrun[casbin]"``) asks a casbin enforcer
``enforce(sub, tenant, obj, act)`` (``enforce(sub, obj, act)`` with ``with_tenant=False``).

Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from netrun.auth.audit import audit_failure
from netrun.auth.exceptions import PermissionDeniedError, TenantAccessDeniedError
from netrun.core.deps import require

__all__ = [
    "CasbinAuthorizer",
    "Enforcer",
    "check_tenant_access",
    "has_roles",
    "require_permissions",
    "require_roles",
]


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, Iterable):
        return {str(item) for item in value}
    return set()


def has_roles(
    claims: Mapping[str, Any], roles: Iterable[str], *, require_all: bool = False
) -> bool:
    """True when the token's ``roles`` include any (or all) of ``roles``."""
    wanted, held = set(roles), _strings(claims.get("roles"))
    if not wanted:
        return True
    return wanted <= held if require_all else bool(wanted & held)


def require_roles(
    claims: Mapping[str, Any], roles: Iterable[str], *, require_all: bool = False
) -> None:
    """Raise ``PermissionDeniedError`` (403) unless :func:`has_roles`."""
    wanted = sorted(set(roles))
    if not has_roles(claims, wanted, require_all=require_all):
        error = PermissionDeniedError("This action needs another role.", required_roles=wanted)
        audit_failure(error, claims=claims)
        raise error


def require_permissions(claims: Mapping[str, Any], permissions: Iterable[str]) -> None:
    """Raise ``PermissionDeniedError`` (403) unless the token holds every permission."""
    wanted = set(permissions)
    missing = sorted(wanted - _strings(claims.get("permissions")))
    if missing:
        error = PermissionDeniedError("This action needs more permissions.", missing=missing)
        audit_failure(error, claims=claims)
        raise error


def check_tenant_access(
    claims: Mapping[str, Any], tenant_id: object, *, tenant_claim: str = "tenant_id"
) -> None:
    """Raise ``TenantAccessDeniedError`` (403) unless the token was issued for ``tenant_id``.

    A token without a tenant claim is refused too: fail closed.
    """
    held = claims.get(tenant_claim)
    if held is None or tenant_id is None or str(held) != str(tenant_id):
        error = TenantAccessDeniedError("This token is not valid for this tenant.")
        audit_failure(
            error, claims=claims, tenant_claim=tenant_claim, resource_tenant=str(tenant_id)
        )
        raise error


class Enforcer(Protocol):
    """What the casbin hook needs of ``casbin.Enforcer``."""

    def enforce(self, *request: Any) -> bool: ...


class CasbinAuthorizer:
    """Ask a casbin enforcer about ``(sub, tenant, obj, act)`` and raise 403 when it says no."""

    def __init__(self, enforcer: Enforcer, *, with_tenant: bool = True) -> None:
        self.enforcer = enforcer
        self.with_tenant = with_tenant

    @classmethod
    def from_files(cls, model: str, policy: str, *, with_tenant: bool = True) -> CasbinAuthorizer:
        """Build a ``casbin.Enforcer``; needs the ``[casbin]`` extra."""
        require("casbin", feature="Casbin policies in netrun.auth", extra="casbin")
        import casbin

        return cls(casbin.Enforcer(model, policy), with_tenant=with_tenant)

    def allowed(self, claims: Mapping[str, Any], obj: str, act: str) -> bool:
        subject = str(claims.get("sub", ""))
        if self.with_tenant:
            return bool(self.enforcer.enforce(subject, str(claims.get("tenant_id", "")), obj, act))
        return bool(self.enforcer.enforce(subject, obj, act))

    def check(self, claims: Mapping[str, Any], obj: str, act: str) -> None:
        if not self.allowed(claims, obj, act):
            error = PermissionDeniedError("This action is not allowed.")
            audit_failure(error, claims=claims, obj=obj, act=act)
            raise error
