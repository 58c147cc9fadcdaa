"""PostgreSQL ledger on psycopg: the database is the one truth for every process.

Every change of a tenant's budget first locks the tenant's row in
``netrun_llm_budget_account`` (``SELECT ... FOR UPDATE``), so reservations, settlements and
the sweep of stale reservations of one tenant run one at a time; tenants never wait for each
other. A single lock per tenant also rules out deadlocks between the day and month rows.

Every statement the ledger runs writes its tenant first, transaction-locally
(``set_config('netrun.tenant_id', tenant, true)``): the tables work behind netrun's row-level
security (the ``netrun.llm`` migrations enable it under ``netrun.rbac.db.backends.postgresql``)
as a NOBYPASSRLS app role, the value ends with the transaction (nothing is left on a pooled
connection), and a transaction pooler (PgBouncer in transaction mode) is safe.

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

from netrun.llm.policy.ledgers._sql_functions import FUNCTIONS_DDL
from netrun.llm.policy.ledgers.base import (
    BudgetLedger,
    BudgetWindow,
    ReservationRefused,
    WindowUsage,
    encode_windows,
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
    period varchar(200) NOT NULL,
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
    windows text NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS netrun_llm_res_tenant_exp
    ON netrun_llm_budget_reservation (tenant_id, expires_at);
-- Tables created before budgets by scope had period varchar(8) and windows varchar(100):
-- widened once (which rewrites nothing), so on current tables this needs no ownership.
DO $widen$
BEGIN
    IF EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'netrun_llm_budget_spend'
          AND column_name = 'period' AND character_maximum_length < 200
    ) THEN
        ALTER TABLE netrun_llm_budget_spend ALTER COLUMN period TYPE varchar(200);
    END IF;
    IF EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'netrun_llm_budget_reservation'
          AND column_name = 'windows' AND data_type <> 'text'
    ) THEN
        ALTER TABLE netrun_llm_budget_reservation ALTER COLUMN windows TYPE text;
    END IF;
END
$widen$;
"""

# A function call in autocommit is one statement and one transaction. The MATERIALIZED CTE
# writes the tenant (transaction-locally) before the call runs: the call is evaluated on the
# CTE's one row, so after it, and the row-level security policies its statements meet read it.
_WITH_TENANT = (
    "WITH tenant AS MATERIALIZED (SELECT set_config('netrun.tenant_id', %s, true)) "
    "SELECT {call} FROM tenant"
)
_RESERVE = _WITH_TENANT.format(call="netrun_llm_reserve(%s, %s, %s, %s, %s, %s, %s, %s)")
_SETTLE = _WITH_TENANT.format(call="netrun_llm_settle(%s, %s, %s, %s, %s)")
_RELEASE = _WITH_TENANT.format(call="netrun_llm_release(%s, %s)")
_SET_TENANT_LOCAL = "SELECT set_config('netrun.tenant_id', %s, true)"
_READ = (
    "SELECT period, period_start, spent_micros, reserved_micros FROM netrun_llm_budget_spend "
    "WHERE tenant_id = %s AND (period, period_start) IN "
    "(SELECT * FROM unnest(%s::varchar[], %s::date[]))"
)
# Serialises concurrent create_tables() calls: two CREATE OR REPLACE FUNCTION of the same
# function at once fail with "tuple concurrently updated". Any constant key would do.
_DDL_LOCK = "SELECT pg_advisory_xact_lock(7310452117)"


def _arrays(windows: Sequence[BudgetWindow]) -> tuple[list[str], list[dt.date]]:
    return [w.period_key for w in windows], [w.start for w in windows]


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
        """Create the tables (if missing) and (re)create the ledger's functions."""
        with self._transaction() as conn:
            conn.execute(_DDL_LOCK)
            conn.execute(DDL)
            conn.execute(FUNCTIONS_DDL)

    def _install_functions(self) -> None:
        with self._transaction() as conn:
            conn.execute(_DDL_LOCK)
            conn.execute(FUNCTIONS_DDL)

    def _call(self, query: str, tenant_id: str, params: tuple[Any, ...]) -> Any:
        """Run one function call for ``tenant_id`` in autocommit (one round trip, the tenant
        written first by the query itself); return its value.

        Tables made by the Django migrations have no functions (``DjangoLedger`` does not use
        them), so the first call on such a database installs them and retries. In autocommit
        the failed call left no transaction behind to roll back.
        """
        import psycopg

        for attempt in (1, 2):
            try:
                with self.pool().connection() as conn:
                    row = conn.execute(query, (tenant_id, *params)).fetchone()
                return None if row is None else row[0]
            except psycopg.errors.UndefinedFunction:
                if attempt == 2:
                    raise
                self._install_functions()
        raise AssertionError("unreachable")  # pragma: no cover

    def reserve(
        self,
        tenant_id: str,
        reservation_id: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        ttl: float,
    ) -> None:
        periods, starts = _arrays(windows)
        limits = [window.limit for window in windows]
        refused = self._call(
            _RESERVE,
            tenant_id,
            (
                tenant_id,
                reservation_id,
                periods,
                starts,
                limits,
                amount,
                float(ttl),
                encode_windows(windows),
            ),
        )
        if refused is not None:
            index, spent, reserved = refused
            raise ReservationRefused(windows[index - 1], WindowUsage(spent, reserved))

    def settle(
        self, tenant_id: str, reservation_id: str, windows: Sequence[BudgetWindow], actual: int
    ) -> None:
        periods, starts = _arrays(windows)
        self._call(_SETTLE, tenant_id, (tenant_id, reservation_id, periods, starts, actual))

    def release(self, tenant_id: str, reservation_id: str) -> None:
        self._call(_RELEASE, tenant_id, (tenant_id, reservation_id))

    def usage(self, tenant_id: str, window: BudgetWindow) -> WindowUsage:
        # BEGIN, the tenant and the read go in one pipeline: one round trip, then COMMIT.
        with self.pool().connection() as conn, conn.pipeline(), conn.transaction():
            conn.execute(_SET_TENANT_LOCAL, (tenant_id,))
            row = conn.execute(_READ, (tenant_id, [window.period_key], [window.start])).fetchone()
        return WindowUsage() if row is None else WindowUsage(row[2], row[3])

    def close(self) -> None:
        if self._pool is not None and self._owns_pool:
            self._pool.close()
            self._pool = None
