"""The explicit, logged way to read or write across tenants under row-level security."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction

from netrun.errors import ConfigurationError
from netrun.logging import get_logger
from netrun.rbac.conf import conf
from netrun.rbac.scope import unscoped

__all__ = ["cross_tenant"]

logger = get_logger("netrun.rbac")


@contextmanager
def cross_tenant(*, reason: str, using: str | None = None) -> Iterator[None]:
    """Run the block as ``NETRUN_RBAC_RLS_CROSS_TENANT_ROLE``, inside one transaction.

    The app role must be a NOINHERIT member of that role: the cross-tenant policy then never
    applies to its ordinary queries, only inside this block (``SET LOCAL ROLE``, undone by the
    transaction's end even when the block raises). The ORM wall is lifted too, through
    :func:`~netrun.rbac.scope.unscoped`; both are logged with ``reason``.
    """
    role = conf.rls_cross_tenant_role
    if not role:
        raise ConfigurationError(
            "cross_tenant() needs NETRUN_RBAC_RLS_CROSS_TENANT_ROLE to name a role."
        )
    alias = using or conf.rls_database
    connection = connections[alias]
    with unscoped(reason=reason), transaction.atomic(using=alias):
        logger.warning("rbac_cross_tenant", reason=reason, role=role, database=alias)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(role)}")
        try:
            yield
        finally:
            if not connection.needs_rollback and connection.is_usable():
                # A savepoint's release keeps SET LOCAL until the outer transaction ends.
                with connection.cursor() as cursor:
                    cursor.execute("RESET ROLE")
