"""The FastAPI lifespan helper on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from netrun.db_pool import AsyncDatabasePool, PoolConfig
from tests._require import require_module
from tests.db_pool.conftest import TENANT_A, RlsDatabase

fastapi = require_module("fastapi")
testclient = require_module("fastapi.testclient")


def test_lifespan_opens_the_pool_and_requests_get_tenant_scoped_connections(
    rls_db: RlsDatabase,
) -> None:
    from netrun.core.context import tenant_context
    from netrun.db_pool.contrib.fastapi import db_connection, get_pool, pool_lifespan

    pool = AsyncDatabasePool(PoolConfig(url=rls_db.app_dsn, min_size=1, max_size=2, timeout=5))
    started: list[bool] = []

    @asynccontextmanager
    async def inner(app: Any) -> AsyncIterator[None]:
        started.append(pool.is_open)
        yield

    app = fastapi.FastAPI(lifespan=pool_lifespan(pool, lifespan=inner))

    @app.get("/orders")
    async def orders(request: fastapi.Request, tenant: str = "") -> dict[str, Any]:
        with tenant_context(tenant or None):
            async for conn in db_connection(request):
                cursor = await conn.execute("SELECT item FROM orders ORDER BY id")
                items = [row[0] for row in await cursor.fetchall()]
        return {"items": items, "open": get_pool(request).is_open}

    with testclient.TestClient(app) as client:
        scoped = client.get("/orders", params={"tenant": TENANT_A}).json()
        unscoped = client.get("/orders").json()
    assert started == [True]
    assert scoped == {"items": ["a-1"], "open": True}
    assert unscoped == {"items": [], "open": True}
    assert not pool.is_open


def test_get_pool_without_the_lifespan_is_a_clear_error() -> None:
    from netrun.db_pool.contrib.fastapi import get_pool

    app = fastapi.FastAPI()
    request: Any = type("R", (), {"app": app})()
    with pytest.raises(RuntimeError, match="pool_lifespan"):
        get_pool(request)
