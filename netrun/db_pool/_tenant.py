"""Applying and clearing the tenant on a PostgreSQL session.

The tenant lives in the custom setting ``netrun.tenant_id``, which row-level security
policies read with ``current_setting('netrun.tenant_id', true)``. Rules, shared with
``netrun.rbac``:

* written with ``SELECT set_config(name, %s, false)``: a bound parameter in a function call.
  ``SET name = %s`` is not valid SQL once psycopg binds server-side, and string formatting
  would be injectable;
* session-level (``is_local = false``) and executed outside any transaction block, so a
  rollback by the borrower cannot undo it and silently bring back an older value;
* always written, ``''`` when there is no tenant, so a policy using
  ``nullif(current_setting(...), '')`` sees "no tenant" and returns no rows. A value left on
  the connection is never trusted.

Each write is one round trip; psycopg's ``autocommit`` switch is client-side only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netrun.core.context import current_tenant_id

if TYPE_CHECKING:
    from psycopg import AsyncConnection, Connection

__all__ = [
    "TENANT_SETTING",
    "apply_tenant",
    "apply_tenant_async",
    "clear_tenant",
    "clear_tenant_async",
    "set_tenant",
    "set_tenant_async",
]

#: The PostgreSQL setting RLS policies read.
TENANT_SETTING = "netrun.tenant_id"

_SET_SQL = "SELECT set_config('netrun.tenant_id', %s, false)"


def _value(tenant_id: str | None) -> str:
    return "" if tenant_id is None else str(tenant_id)


def set_tenant(conn: Connection[Any], tenant_id: str | None) -> None:
    """Write ``tenant_id`` (``''`` for none) on ``conn``'s session, outside any transaction."""
    from psycopg.pq import TransactionStatus

    status = conn.pgconn.transaction_status
    if status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        # A set_config inside the caller's transaction would be undone by its rollback.
        conn.rollback()
    if conn.autocommit:
        conn.execute(_SET_SQL, (_value(tenant_id),))
        return
    conn.autocommit = True
    try:
        conn.execute(_SET_SQL, (_value(tenant_id),))
    finally:
        if not conn.closed:
            conn.autocommit = False


async def set_tenant_async(conn: AsyncConnection[Any], tenant_id: str | None) -> None:
    """The ``async`` form of :func:`set_tenant`."""
    from psycopg.pq import TransactionStatus

    status = conn.pgconn.transaction_status
    if status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        await conn.rollback()
    if conn.autocommit:
        await conn.execute(_SET_SQL, (_value(tenant_id),))
        return
    await conn.set_autocommit(True)
    try:
        await conn.execute(_SET_SQL, (_value(tenant_id),))
    finally:
        if not conn.closed:
            await conn.set_autocommit(False)


def apply_tenant(conn: Connection[Any]) -> None:
    """Pool ``check`` callback: write the current context's tenant on checkout.

    psycopg_pool runs the check in the borrowing thread, so the context is the borrower's;
    when the write fails (a backend killed by a restart) the pool discards the connection
    and tries another, which makes this statement the liveness check too.
    """
    set_tenant(conn, current_tenant_id())


async def apply_tenant_async(conn: AsyncConnection[Any]) -> None:
    """The ``async`` form of :func:`apply_tenant` (awaited in the borrowing task)."""
    await set_tenant_async(conn, current_tenant_id())


def clear_tenant(conn: Connection[Any]) -> None:
    """Pool ``reset`` callback: write ``''`` when a connection comes back.

    psycopg_pool rolls back an open or failed transaction before calling it; the rollback
    in :func:`set_tenant` covers pools that do not.
    """
    set_tenant(conn, None)


async def clear_tenant_async(conn: AsyncConnection[Any]) -> None:
    """The ``async`` form of :func:`clear_tenant`."""
    await set_tenant_async(conn, None)
