"""The explicit ways out of tenant scoping, and the tenant a piece of work runs for.

Framework-neutral: the ORM wall in :mod:`netrun.rbac.managers` reads these, and so can any
other data layer. Every way out is logged (``rbac_unscoped``) with its reason, so cross-tenant
access is both greppable in code and visible in the logs::

    with unscoped(reason="nightly usage report across tenants"):
        totals = Ticket.objects.values("tenant").annotate(n=Count("pk"))
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from netrun.core.context import current_tenant_id
from netrun.errors import TenantContextMissingError
from netrun.logging import get_logger

__all__ = ["current_unscoped_reason", "is_unscoped", "require_tenant", "same_tenant", "unscoped"]

logger = get_logger("netrun.rbac")

_unscoped_reason: ContextVar[str | None] = ContextVar("netrun_rbac_unscoped", default=None)


@contextmanager
def unscoped(*, reason: str) -> Iterator[None]:
    """Lift tenant scoping for the block; ``reason`` is required and logged."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("unscoped() needs a non-empty reason=... saying why it crosses tenants")
    logger.warning("rbac_unscoped", reason=reason, via="unscoped")
    token = _unscoped_reason.set(reason)
    try:
        yield
    finally:
        _unscoped_reason.reset(token)


def is_unscoped() -> bool:
    """Whether the current work runs inside :func:`unscoped`."""
    return _unscoped_reason.get() is not None


def current_unscoped_reason() -> str | None:
    """The reason given to the enclosing :func:`unscoped`, or ``None``."""
    return _unscoped_reason.get()


def require_tenant(what: str = "tenant-scoped data") -> str:
    """The current tenant ID; :class:`TenantContextMissingError` when none is bound."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextMissingError(
            f"No tenant is bound for {what}: run it inside a request through TenantMiddleware, "
            "a @tenant_task, BackgroundTaskTenantContext(...) or unscoped(reason=...).",
            what=what,
        )
    return tenant_id


def same_tenant(left: object, right: object) -> bool:
    """Whether two tenant IDs name the same tenant (UUIDs compare in any spelling)."""
    if left is None or right is None:
        return False
    if str(left) == str(right):
        return True
    try:
        return uuid.UUID(str(left)) == uuid.UUID(str(right))
    except ValueError:
        return False
