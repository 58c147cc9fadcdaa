"""The permission decision core: subjects, roles, backends and logged decisions.

Framework-neutral: backends are objects with ``has_perm(subject, perm, obj)`` returning
``True`` (grant), ``False`` (veto) or ``None`` (abstain). :class:`PermissionChecker` asks them
in order: the first veto denies, otherwise any grant allows, otherwise it denies (fail
closed). Every decision is logged as ``rbac_decision`` with who, what, the tenant, the
backend that decided and (from the logging context) the correlation ID::

    checker = PermissionChecker([RoleBackend({"agent": ["helpdesk.view_ticket"]})])
    subject = Subject(user_id="7", tenant_id="acme", roles=frozenset({"agent"}))
    checker.require(subject, "helpdesk.view_ticket")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from netrun.errors import PermissionDeniedError, TenantAccessDeniedError, TenantRequiredError
from netrun.logging import get_logger

__all__ = [
    "Decision",
    "PermissionBackend",
    "PermissionChecker",
    "RoleBackend",
    "Subject",
    "TokenPermissionsBackend",
    "configured_tenant_naming",
    "permission_matches",
    "permissions_for_roles",
    "require_member",
    "tenant_naming",
]

logger = get_logger("netrun.rbac")


@dataclass(frozen=True)
class Subject:
    """Who asks: the user, the tenant they act in, their roles there and token permissions."""

    user_id: str | None
    tenant_id: str | None
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    is_member: bool = False
    is_superuser: bool = False
    #: The framework's user object, for backends that need it (Django perms, guardian).
    user: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Decision:
    """The outcome of one permission check."""

    allowed: bool
    permission: str
    backend: str | None
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@runtime_checkable
class PermissionBackend(Protocol):
    """Answers one permission question: grant (True), veto (False) or abstain (None)."""

    def has_perm(self, subject: Subject, perm: str, obj: Any = None) -> bool | None: ...


def permission_matches(granted: str, perm: str) -> bool:
    """Whether a granted permission covers ``perm``: exact, ``"app.*"`` or ``"*"``."""
    if granted in ("*", perm):
        return True
    if granted.endswith(".*"):
        return perm.startswith(granted[:-1])
    return False


def permissions_for_roles(
    roles: Iterable[str], role_permissions: Mapping[str, Iterable[str]]
) -> frozenset[str]:
    """Every permission the ``roles`` grant under ``role_permissions``."""
    granted: set[str] = set()
    for role in roles:
        granted.update(role_permissions.get(role, ()))
    return frozenset(granted)


class RoleBackend:
    """Grants what the subject's roles map to; roles come from settings (or the constructor)."""

    def __init__(self, role_permissions: Mapping[str, Iterable[str]]) -> None:
        self.role_permissions = {role: tuple(perms) for role, perms in role_permissions.items()}

    def has_perm(self, subject: Subject, perm: str, obj: Any = None) -> bool | None:
        granted = permissions_for_roles(subject.roles, self.role_permissions)
        return True if any(permission_matches(g, perm) for g in granted) else None


class TokenPermissionsBackend:
    """Grants the permissions listed in the subject's token (``permissions`` claim)."""

    def has_perm(self, subject: Subject, perm: str, obj: Any = None) -> bool | None:
        return True if any(permission_matches(g, perm) for g in subject.permissions) else None


class PermissionChecker:
    """Asks backends in order and logs each decision."""

    def __init__(self, backends: Sequence[PermissionBackend], *, log: bool = True) -> None:
        self.backends = tuple(backends)
        self.log = log

    def check(self, subject: Subject, perm: str, obj: Any = None) -> Decision:
        decision = self._decide(subject, perm, obj)
        if self.log:
            logger.info(
                "rbac_decision",
                allowed=decision.allowed,
                permission=perm,
                backend=decision.backend,
                reason=decision.reason,
                subject_user_id=subject.user_id,
                subject_tenant_id=subject.tenant_id,
                object=_describe(obj),
            )
        return decision

    def has_perm(self, subject: Subject, perm: str, obj: Any = None) -> bool:
        return self.check(subject, perm, obj).allowed

    def require(self, subject: Subject, perm: str, obj: Any = None) -> Decision:
        """The decision when allowed; :class:`PermissionDeniedError` (403) otherwise."""
        decision = self.check(subject, perm, obj)
        if not decision.allowed:
            raise PermissionDeniedError(
                f"Permission {perm!r} is required.", permission=perm, reason=decision.reason
            )
        return decision

    def _decide(self, subject: Subject, perm: str, obj: Any) -> Decision:
        if subject.user_id is None:
            return Decision(False, perm, None, "anonymous")
        granted_by: str | None = None
        for backend in self.backends:
            answer = backend.has_perm(subject, perm, obj)
            name = type(backend).__name__
            if answer is False:
                return Decision(False, perm, name, "vetoed")
            if answer and granted_by is None:
                granted_by = name
        if granted_by is not None:
            return Decision(True, perm, granted_by, "granted")
        return Decision(False, perm, None, "no backend granted it")


def _describe(obj: Any) -> str | None:
    if obj is None:
        return None
    meta = getattr(obj, "_meta", None)
    label = getattr(meta, "label", type(obj).__name__)
    return f"{label}:{getattr(obj, 'pk', '?')}"


def tenant_naming(
    strategies: Sequence[str], *, header: str = "X-Tenant-ID", subdomain_base: str | None = None
) -> list[str]:
    """How a client names its tenant under ``strategies`` (``NETRUN_RBAC_TENANT_STRATEGIES``)."""
    ways = {
        "header": f"the {header} header (the tenant's ID or slug)",
        "jwt": "a token with a tenant_id claim",
        "session": "a session in which a tenant was chosen",
        "subdomain": f"a subdomain of {subdomain_base}" if subdomain_base else None,
    }
    return [way for way in (ways.get(strategy) for strategy in strategies) if way]


def configured_tenant_naming() -> list[str]:
    """:func:`tenant_naming` under the ``NETRUN_RBAC_TENANT_*`` settings (read at call time)."""
    from netrun.rbac.conf import conf

    return tenant_naming(
        conf.tenant_strategies, header=conf.tenant_header, subdomain_base=conf.subdomain_base
    )


def require_member(subject: Subject, *, naming: Sequence[str] = ()) -> None:
    """Let an active member of the subject's tenant (or a superuser) through.

    No tenant at all is :class:`TenantRequiredError` (400 ``TENANT_REQUIRED``), saying how to
    name one (``naming``, from :func:`tenant_naming`); a tenant the subject is not a member of
    is :class:`TenantAccessDeniedError` (403 ``TENANT_ACCESS_DENIED``).
    """
    if subject.tenant_id is None:
        message = "This request names no tenant."
        if naming:
            message += " Name one with " + " or ".join(naming) + "."
        raise TenantRequiredError(message, ways=list(naming))
    if not (subject.is_member or subject.is_superuser):
        raise TenantAccessDeniedError("You are not a member of this tenant.")
