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

The session write also returns ``pg_backend_pid()``. A pooler (PgBouncer, RDS Proxy,
Supavisor, pgcat) makes up the process id the client got at connection time, so
:func:`behind_pooler` tells whether one stands in front; a pool in session scope then reads
the tenant back inside each borrow's transaction (:func:`verify_tenant`) and refuses a
borrow whose server session holds another value. In transaction scope
(``tenant_scope="transaction"``) nothing is written on the session: each borrow is one
transaction that starts with :func:`set_tenant_local`.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from netrun.core.context import current_tenant_id
from netrun.errors import ConfigurationError

if TYPE_CHECKING:
    from psycopg import AsyncConnection, Connection

__all__ = [
    "TENANT_SCOPES",
    "TENANT_SETTING",
    "apply_tenant",
    "apply_tenant_async",
    "behind_pooler",
    "clear_tenant",
    "clear_tenant_async",
    "set_tenant",
    "set_tenant_async",
    "set_tenant_local",
    "set_tenant_local_async",
    "verify_tenant",
    "verify_tenant_async",
]

#: The PostgreSQL setting RLS policies read.
TENANT_SETTING = "netrun.tenant_id"

#: ``tenant_scope`` values: as ``NETRUN_RBAC_TENANT_SCOPE``.
TENANT_SCOPES = ("session", "transaction")

_SET_SQL = "SELECT set_config('netrun.tenant_id', %s, false), pg_backend_pid()"
_SET_LOCAL_SQL = "SELECT set_config('netrun.tenant_id', %s, true)"
_VERIFY_SQL = "SELECT coalesce(current_setting('netrun.tenant_id', true), '')"

# Connection -> the server process id its last session write ran on.
_server_pids: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _remember(conn: Any, row: Any) -> None:
    if row is not None:
        _server_pids[conn] = int(row[1])


def behind_pooler(conn: Connection[Any] | AsyncConnection[Any]) -> bool | None:
    """Whether a pooler stands between ``conn`` and PostgreSQL (``None``: not written yet)."""
    pid = _server_pids.get(conn)
    return None if pid is None else pid != conn.info.backend_pid


def _mismatch() -> ConfigurationError:
    return ConfigurationError(
        "The database session holds another tenant than this connection wrote: a "
        'transaction pooler is in front of it. Use tenant_scope="transaction" (or put the '
        "pooler in session mode).",
    )


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
        _remember(conn, conn.execute(_SET_SQL, (_value(tenant_id),)).fetchone())
        return
    conn.autocommit = True
    try:
        _remember(conn, conn.execute(_SET_SQL, (_value(tenant_id),)).fetchone())
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
        _remember(conn, await (await conn.execute(_SET_SQL, (_value(tenant_id),))).fetchone())
        return
    await conn.set_autocommit(True)
    try:
        _remember(conn, await (await conn.execute(_SET_SQL, (_value(tenant_id),))).fetchone())
    finally:
        if not conn.closed:
            await conn.set_autocommit(False)


def set_tenant_local(conn: Connection[Any], tenant_id: str | None) -> None:
    """Write ``tenant_id`` for the open transaction only (call it first in the transaction)."""
    conn.execute(_SET_LOCAL_SQL, (_value(tenant_id),))


async def set_tenant_local_async(conn: AsyncConnection[Any], tenant_id: str | None) -> None:
    """The ``async`` form of :func:`set_tenant_local`."""
    await conn.execute(_SET_LOCAL_SQL, (_value(tenant_id),))


def verify_tenant(conn: Connection[Any], tenant_id: str | None) -> None:
    """Raise ``ConfigurationError`` unless the session holds ``tenant_id`` (inside the
    transaction the borrower's statements then run in)."""
    row = conn.execute(_VERIFY_SQL).fetchone()
    if row is None or row[0] != _value(tenant_id):
        raise _mismatch()


async def verify_tenant_async(conn: AsyncConnection[Any], tenant_id: str | None) -> None:
    """The ``async`` form of :func:`verify_tenant`."""
    row = await (await conn.execute(_VERIFY_SQL)).fetchone()
    if row is None or row[0] != _value(tenant_id):
        raise _mismatch()


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
