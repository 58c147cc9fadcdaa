"""``netrun.db_pool`` pools in both tenant scopes, straight to PostgreSQL and through a real
PgBouncer in transaction mode (2 server connections), as the RLS suite's app role."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import pytest

from netrun.core.context import tenant_context
from netrun.db_pool import AsyncDatabasePool, DatabasePool, PoolConfig
from netrun.db_pool._tenant import behind_pooler
from netrun.errors import ConfigurationError
from tests._pgbouncer import PgBouncer
from tests.rbac_rls.conftest import RLSEnv

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

A = "00000000-0000-0000-0000-00000000000a"
B = "00000000-0000-0000-0000-00000000000b"
EXPECTED = {A: 2, B: 1}


@pytest.fixture(scope="module")
def seeded(rls_env: RLSEnv) -> RLSEnv:
    rls_env.run("-m", "tests.rbac_rls.scenarios", "seed")
    return rls_env


def app_dsn(env: RLSEnv, bouncer: PgBouncer | None) -> str:
    return env.through(bouncer, scope="")["NETRUN_RLS_APP_DSN"] if bouncer else env.dsn_as(env.app)


def pool(dsn: str, scope: str, size: int = 3) -> DatabasePool:
    config = PoolConfig(url=dsn, min_size=0, max_size=size, timeout=20)
    # prepare_threshold=None: PgBouncer 1.18 cannot carry prepared statements across clients.
    return DatabasePool(config, tenant_scope=scope, connection_kwargs={"prepare_threshold": None})


def hammer(db: DatabasePool, threads: int = 6, borrows: int = 60) -> Counter[str]:
    totals: Counter[str] = Counter()
    lock = threading.Lock()

    def work(index: int) -> None:
        mine: Counter[str] = Counter()
        for n in range(borrows):
            tenant = (A, B)[(n + index) % 2]
            try:
                with tenant_context(tenant), db.connection() as conn:
                    rows = [
                        r[0] for r in conn.execute("SELECT tenant_id::text FROM rlsapp_project")
                    ]
            except ConfigurationError:
                mine["refused"] += 1
                continue
            mine["borrows"] += 1
            mine["foreign"] += sum(1 for r in rows if r != tenant)
            mine["wrong_count"] += len(rows) != EXPECTED[tenant]
        with lock:
            totals.update(mine)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    return totals


def test_transaction_scope_through_pgbouncer_shows_only_the_borrowers_tenant(
    seeded: RLSEnv, pgbouncer: PgBouncer
) -> None:
    with pool(app_dsn(seeded, pgbouncer), "transaction") as db:
        totals = hammer(db)
    assert totals["borrows"] == 6 * 60
    assert (totals["foreign"], totals["wrong_count"], totals["refused"]) == (0, 0, 0), totals


def test_session_scope_through_pgbouncer_refuses_rather_than_serves(
    seeded: RLSEnv, pgbouncer: PgBouncer
) -> None:
    with pool(app_dsn(seeded, pgbouncer), "session") as db:
        with db.connection() as conn:
            assert behind_pooler(conn) is True
        totals = hammer(db)
    assert (totals["foreign"], totals["wrong_count"]) == (0, 0), totals
    assert totals["refused"] > 0, totals


def test_straight_to_postgresql_no_pooler_is_detected_and_session_scope_serves(
    seeded: RLSEnv,
) -> None:
    with pool(app_dsn(seeded, None), "session") as db:
        with db.connection() as conn:
            assert behind_pooler(conn) is False
        totals = hammer(db, threads=3, borrows=20)
    assert (totals["borrows"], totals["foreign"], totals["wrong_count"]) == (60, 0, 0), totals


def test_transaction_scope_leaves_nothing_on_the_session(seeded: RLSEnv) -> None:
    with pool(app_dsn(seeded, None), "transaction", size=1) as db:
        with tenant_context(A), db.connection() as conn:
            assert conn.execute("SELECT count(*) FROM rlsapp_project").fetchone() == (2,)
            with conn.transaction():  # a savepoint keeps the value
                assert conn.execute("SELECT count(*) FROM rlsapp_project").fetchone() == (2,)
        with db.connection() as conn:  # the same server session, no tenant bound
            assert conn.execute("SELECT count(*) FROM rlsapp_project").fetchone() == (0,)
        raw = db.pool.getconn()
        try:
            setting = raw.execute("SELECT current_setting('netrun.tenant_id', true)").fetchone()
            assert setting is not None
            assert setting[0] in (None, "")
        finally:
            raw.rollback()
            db.pool.putconn(raw)


def test_async_pool_in_transaction_scope_through_pgbouncer(
    seeded: RLSEnv, pgbouncer: PgBouncer
) -> None:
    config = PoolConfig(url=app_dsn(seeded, pgbouncer), min_size=0, max_size=3, timeout=20)

    async def run() -> list[tuple[str, int]]:
        db = AsyncDatabasePool(
            config, tenant_scope="transaction", connection_kwargs={"prepare_threshold": None}
        )
        async with db:

            async def one(tenant: str) -> tuple[str, int]:
                with tenant_context(tenant):
                    async with db.connection() as conn:
                        cursor = await conn.execute("SELECT count(*) FROM rlsapp_project")
                        row = await cursor.fetchone()
                        return tenant, int(row[0]) if row else -1

            return await asyncio.gather(*(one((A, B)[i % 2]) for i in range(40)))

    results = asyncio.run(run())
    assert [count for tenant, count in results] == [EXPECTED[t] for t, _ in results]


def test_an_unknown_tenant_scope_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="tenant_scope must be one of"):
        DatabasePool(PoolConfig(url="postgresql://x@127.0.0.1/x"), tenant_scope="statement")


def test_async_pool_in_session_scope_through_pgbouncer_refuses_rather_than_serves(
    seeded: RLSEnv, pgbouncer: PgBouncer
) -> None:
    config = PoolConfig(url=app_dsn(seeded, pgbouncer), min_size=0, max_size=3, timeout=20)

    async def run() -> tuple[list[bool | None], list[str]]:
        db = AsyncDatabasePool(
            config, tenant_scope="session", connection_kwargs={"prepare_threshold": None}
        )
        async with db:
            pooled: list[bool | None] = []

            async def one(tenant: str) -> str:
                with tenant_context(tenant):
                    try:
                        async with db.connection() as conn:
                            pooled.append(behind_pooler(conn))
                            cursor = await conn.execute("SELECT count(*) FROM rlsapp_project")
                            row = await cursor.fetchone()
                    except ConfigurationError:
                        return "refused"
                    return "ok" if row and row[0] == EXPECTED[tenant] else "wrong"

            return pooled, await asyncio.gather(*(one((A, B)[i % 2]) for i in range(60)))

    pooled, outcomes = asyncio.run(run())
    assert set(pooled) == {True}
    assert "wrong" not in outcomes
    assert outcomes.count("refused") > 0, outcomes
