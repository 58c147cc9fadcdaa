"""PostgreSQL ledger on psycopg: the database is the one truth for every process.

Every change of a tenant's budget first locks the tenant's row in
``netrun_llm_budget_account`` (``SELECT ... FOR UPDATE``), so reservations, settlements and
the sweep of stale reservations of one tenant run one at a time; tenants never wait for each
other. A single lock per tenant also rules out deadlocks between the day and month rows.

The tables are the ones the Django models of ``netrun.llm`` (migration ``0001``) create, so a
Django project can point this ledger at its own database; without Django,
:meth:`SQLLedger.create_tables` creates them.

Needs psycopg 3 and psycopg-pool (``pip install "netrun[postgres]"``). Framework-neutral: no Django import.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from netrun.llm.budgets.base import (
    BudgetExhausted,
    BudgetLedger,
    BudgetWindow,
    Period,
    WindowUsage,
    encode_windows,
    parse_window_keys,
)

if TYPE_CHECKING:
    import psycopg
    import psycopg_pool

__all__ = ["DDL", "SQLLedger"]

DDL = """
CREATE TABLE IF NOT EXISTS netrun_llm_budget_account (
    id bigserial PRIMARY KEY,
    tenant_id varchar(64) NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS netrun_llm_budget_spend (
    id bigserial PRIMARY KEY,
    tenant_id varchar(64) NOT NULL,
    period varchar(8) NOT NULL,
    period_start date NOT NULL,
    spent_micros bigint NOT NULL DEFAULT 0,
    reserved_micros bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT netrun_llm_spend_unique_window UNIQUE (tenant_id, period, period_start)
);
CREATE TABLE IF NOT EXISTS netrun_llm_budget_reservation (
    id varchar(32) PRIMARY KEY,
    tenant_id varchar(64) NOT NULL,
    amount_micros bigint NOT NULL,
    windows varchar(100) NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS netrun_llm_res_tenant_exp
    ON netrun_llm_budget_reservation (tenant_id, expires_at);
"""

_LOCK = "SELECT id FROM netrun_llm_budget_account WHERE tenant_id = %s FOR UPDATE"
_ADD_ACCOUNT = "INSERT INTO netrun_llm_budget_account (tenant_id) VALUES (%s) ON CONFLICT (tenant_id) DO NOTHING"
_SWEEP = (
    "DELETE FROM netrun_llm_budget_reservation WHERE tenant_id = %s AND expires_at <= now() "
    "RETURNING amount_micros, windows"
)
_DROP = (
    "DELETE FROM netrun_llm_budget_reservation WHERE tenant_id = %s AND id = %s "
    "RETURNING amount_micros, windows"
)
_UNRESERVE = (
    "UPDATE netrun_llm_budget_spend SET reserved_micros = reserved_micros - %s, "
    "updated_at = now() WHERE tenant_id = %s AND period = %s AND period_start = %s"
)
_READ = (
    "SELECT period, period_start, spent_micros, reserved_micros FROM netrun_llm_budget_spend "
    "WHERE tenant_id = %s AND (period, period_start) IN "
    "(SELECT * FROM unnest(%s::varchar[], %s::date[]))"
)
_ENSURE = (
    "INSERT INTO netrun_llm_budget_spend "
    "(tenant_id, period, period_start, spent_micros, reserved_micros, updated_at) "
    "SELECT %s, p, s, 0, 0, now() FROM unnest(%s::varchar[], %s::date[]) AS w(p, s) "
    "ON CONFLICT (tenant_id, period, period_start) DO NOTHING"
)
_RESERVE = (
    "UPDATE netrun_llm_budget_spend SET reserved_micros = reserved_micros + %s, "
    "updated_at = now() WHERE tenant_id = %s AND (period, period_start) IN "
    "(SELECT * FROM unnest(%s::varchar[], %s::date[]))"
)
_HOLD = (
    "INSERT INTO netrun_llm_budget_reservation "
    "(id, tenant_id, amount_micros, windows, expires_at, created_at) "
    "VALUES (%s, %s, %s, %s, now() + make_interval(secs => %s), now())"
)
_CHARGE = (
    "INSERT INTO netrun_llm_budget_spend "
    "(tenant_id, period, period_start, spent_micros, reserved_micros, updated_at) "
    "SELECT %s, p, s, %s, 0, now() FROM unnest(%s::varchar[], %s::date[]) AS w(p, s) "
    "ON CONFLICT (tenant_id, period, period_start) DO UPDATE SET "
    "spent_micros = netrun_llm_budget_spend.spent_micros + EXCLUDED.spent_micros, "
    "updated_at = now()"
)


def _arrays(windows: Sequence[BudgetWindow]) -> tuple[list[str], list[dt.date]]:
    return [w.period.value for w in windows], [w.start for w in windows]


class SQLLedger(BudgetLedger):
    """Pass a ``dsn``, or a ready ``psycopg_pool.ConnectionPool`` of autocommit connections.

    With a ``dsn`` each process (a forked child included) opens its own pool of at most
    ``max_connections``; more concurrent callers wait for a connection, so a burst of threads
    never exhausts the server's ``max_connections``.
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        pool: psycopg_pool.ConnectionPool[Any] | None = None,
        max_connections: int = 10,
        timeout: float = 10.0,
    ) -> None:
        from netrun.core.deps import require

        require("psycopg_pool", feature="LLM budgets in PostgreSQL", extra="postgres")
        if dsn is None and pool is None:
            raise ValueError("SQLLedger needs a dsn or a pool")
        self.dsn = dsn
        self.max_connections = max_connections
        self.timeout = timeout
        self._pool = pool
        self._owns_pool = pool is None
        self._pid = os.getpid()
        self._pool_lock = threading.Lock()

    def pool(self) -> psycopg_pool.ConnectionPool[Any]:
        if self._pool is None or (self._owns_pool and self._pid != os.getpid()):
            with self._pool_lock:
                if self._pool is None or self._pid != os.getpid():
                    import psycopg_pool

                    self._pool = psycopg_pool.ConnectionPool(
                        self.dsn or "",
                        min_size=1,
                        max_size=self.max_connections,
                        timeout=self.timeout,
                        kwargs={"autocommit": True},
                        open=True,
                    )
                    self._pid = os.getpid()
        return self._pool

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self.pool().connection() as conn, conn.transaction():
            yield conn

    def create_tables(self) -> None:
        with self._transaction() as conn:
            conn.execute(DDL)

    def _lock(self, conn: psycopg.Connection[Any], tenant_id: str) -> None:
        if conn.execute(_LOCK, (tenant_id,)).fetchone() is None:
            conn.execute(_ADD_ACCOUNT, (tenant_id,))
            conn.execute(_LOCK, (tenant_id,))

    @staticmethod
    def _unreserve(conn: psycopg.Connection[Any], tenant_id: str, rows: list[Any]) -> None:
        for amount, encoded in rows:
            for period, start in parse_window_keys(encoded):
                conn.execute(_UNRESERVE, (amount, tenant_id, period.value, start))

    def reserve(
        self,
        tenant_id: str,
        reservation_id: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        ttl: float,
    ) -> None:
        periods, starts = _arrays(windows)
        with self._transaction() as conn:
            self._lock(conn, tenant_id)
            self._unreserve(conn, tenant_id, conn.execute(_SWEEP, (tenant_id,)).fetchall())
            rows = {
                (Period(period), start): (spent, reserved)
                for period, start, spent, reserved in conn.execute(
                    _READ, (tenant_id, periods, starts)
                )
            }
            for window in windows:
                spent, reserved = rows.get((window.period, window.start), (0, 0))
                if window.limit is not None and spent + reserved + amount > window.limit:
                    raise BudgetExhausted(window, WindowUsage(spent, reserved))
            if len(rows) < len(windows):
                conn.execute(_ENSURE, (tenant_id, periods, starts))
            conn.execute(_RESERVE, (amount, tenant_id, periods, starts))
            conn.execute(
                _HOLD, (reservation_id, tenant_id, amount, encode_windows(windows), float(ttl))
            )

    def settle(
        self, tenant_id: str, reservation_id: str, windows: Sequence[BudgetWindow], actual: int
    ) -> None:
        periods, starts = _arrays(windows)
        with self._transaction() as conn:
            self._lock(conn, tenant_id)
            dropped = conn.execute(_DROP, (tenant_id, reservation_id)).fetchall()
            self._unreserve(conn, tenant_id, dropped)
            conn.execute(_CHARGE, (tenant_id, actual, periods, starts))

    def release(self, tenant_id: str, reservation_id: str) -> None:
        with self._transaction() as conn:
            self._lock(conn, tenant_id)
            dropped = conn.execute(_DROP, (tenant_id, reservation_id)).fetchall()
            self._unreserve(conn, tenant_id, dropped)

    def usage(self, tenant_id: str, window: BudgetWindow) -> WindowUsage:
        with self.pool().connection() as conn:
            row = conn.execute(_READ, (tenant_id, [window.period.value], [window.start])).fetchone()
        return WindowUsage() if row is None else WindowUsage(row[2], row[3])

    def close(self) -> None:
        if self._pool is not None and self._owns_pool:
            self._pool.close()
            self._pool = None
