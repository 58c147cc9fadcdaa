"""AsyncDatabasePool on the real PostgreSQL: the same guarantees as the sync pool."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from netrun.core.context import tenant_context
from netrun.db_pool import AsyncDatabasePool, PoolConfig
from netrun.errors import ConfigurationError, ServiceUnavailableError
from netrun.logging.testing import capture_logs
from tests.db_pool.conftest import APP_PASSWORD, TENANT_A, TENANT_B, RlsDatabase

SHOW = "SELECT current_setting('netrun.tenant_id', true), pg_backend_pid()"


def _config(dsn: str) -> PoolConfig:
    return PoolConfig(url=dsn, min_size=1, max_size=1, timeout=5)


async def _fetch(conn: Any, query: str) -> list[Any]:
    cursor = await conn.execute(query)
    return list(await cursor.fetchall())


def test_async_tenant_is_applied_then_cleared_for_the_next_borrower(rls_db: RlsDatabase) -> None:
    async def main() -> tuple[Any, ...]:
        async with AsyncDatabasePool(_config(rls_db.app_dsn)) as pool:
            async with tenant_context(TENANT_B), pool.connection() as conn:
                first = await _fetch(conn, SHOW)
                items = await _fetch(conn, "SELECT item FROM orders")
            async with pool.connection() as conn:
                second = await _fetch(conn, SHOW)
                count = await _fetch(conn, "SELECT count(*) FROM orders")
            return first[0], items, second[0], count

    first, items, second, count = asyncio.run(main())
    assert first[0] == TENANT_B
    assert items == [("b-1",)]
    assert second == ("", first[1])  # same backend, no tenant
    assert count == [(0,)]


def test_async_failed_transaction_does_not_leave_the_tenant_behind(rls_db: RlsDatabase) -> None:
    import psycopg

    async def main() -> list[Any]:
        async with AsyncDatabasePool(_config(rls_db.app_dsn)) as pool:
            with pytest.raises(psycopg.errors.DivisionByZero):
                async with tenant_context(TENANT_A), pool.connection() as conn:
                    await conn.execute("SELECT 1 / 0")
            async with tenant_context(TENANT_A), pool.connection() as conn:
                with contextlib.suppress(psycopg.errors.DivisionByZero):
                    await conn.execute("SELECT 1 / 0")  # returned INERROR
            async with pool.connection() as conn:
                return await _fetch(conn, "SELECT current_setting('netrun.tenant_id', true)")

    assert asyncio.run(main()) == [("",)]


def test_async_tenant_survives_the_borrowers_rollback_and_concurrent_tasks_stay_apart(
    rls_db: RlsDatabase,
) -> None:
    config = PoolConfig(url=rls_db.app_dsn, min_size=1, max_size=2, timeout=5)

    async def worker(pool: AsyncDatabasePool, tenant: str | None) -> list[Any]:
        seen = []
        for _ in range(20):
            async with tenant_context(tenant), pool.connection() as conn:
                await conn.execute("SELECT 1")
                await conn.rollback()
                seen.append((await _fetch(conn, SHOW))[0][0])
        return seen

    async def main() -> list[list[Any]]:
        async with AsyncDatabasePool(config) as pool:
            return list(
                await asyncio.gather(
                    worker(pool, TENANT_A), worker(pool, TENANT_B), worker(pool, None)
                )
            )

    a, b, none = asyncio.run(main())
    assert set(a) == {TENANT_A}
    assert set(b) == {TENANT_B}
    assert set(none) == {""}


def test_async_metrics_health_and_errors(rls_db: RlsDatabase) -> None:
    async def main() -> tuple[Any, ...]:
        pool = AsyncDatabasePool(_config(rls_db.app_dsn))
        await pool.initialize()
        await pool.initialize()  # idempotent
        health = await pool.health_check()
        async with pool.connection():
            held = pool.metrics()
            with capture_logs(processors=[]) as logs, pytest.raises(ServiceUnavailableError):
                async with pool.connection(timeout=0.2):
                    pass  # pragma: no cover - never entered
        metrics = pool.metrics()
        await pool.close()
        await pool.close()  # a second close is a no-op
        closed = await pool.health_check()
        return health, held, metrics, closed, logs

    health, held, metrics, closed, logs = asyncio.run(main())
    assert health.healthy
    assert held.in_use == 1
    assert metrics.acquisitions == 2
    assert metrics.acquire_errors == 1
    assert metrics.in_use == 0
    assert not closed.healthy
    assert APP_PASSWORD not in repr(logs)


def test_async_initialisation_failure_is_service_unavailable() -> None:
    config = PoolConfig(url=f"postgresql://app:{APP_PASSWORD}@127.0.0.1:1/app", timeout=1)

    async def main() -> None:
        await AsyncDatabasePool(config).initialize()

    with capture_logs(processors=[]) as logs, pytest.raises(ServiceUnavailableError) as caught:
        asyncio.run(main())
    assert APP_PASSWORD not in repr(caught.value.to_dict())
    assert APP_PASSWORD not in repr(logs)


def test_async_pool_needs_initialize() -> None:
    pool = AsyncDatabasePool(PoolConfig(url=None))
    with pytest.raises(ConfigurationError):
        _ = pool.pool
    assert not pool.is_open
