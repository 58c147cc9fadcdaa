"""FastAPI / Starlette: open an :class:`AsyncDatabasePool` for the app's lifetime.

::

    from fastapi import Depends, FastAPI
    from netrun.db_pool import AsyncDatabasePool, PoolConfig
    from netrun.db_pool.contrib.fastapi import db_connection, pool_lifespan

    app = FastAPI(lifespan=pool_lifespan(AsyncDatabasePool(PoolConfig())))

    @app.get("/orders")
    async def orders(conn=Depends(db_connection)):
        cursor = await conn.execute("SELECT id FROM orders")
        return [row[0] for row in await cursor.fetchall()]

The connection carries the tenant bound when it is borrowed (by netrun.auth's middleware, or
``tenant_context``). Configuration is by argument: this module never reads Django settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from netrun.db_pool.pool import AsyncDatabasePool

if TYPE_CHECKING:
    from psycopg import AsyncConnection

__all__ = ["DEFAULT_STATE_KEY", "db_connection", "get_pool", "pool_lifespan"]

DEFAULT_STATE_KEY = "db_pool"


def pool_lifespan(
    pool: AsyncDatabasePool,
    *,
    state_key: str = DEFAULT_STATE_KEY,
    lifespan: Callable[[Any], AbstractAsyncContextManager[Any]] | None = None,
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan that initialises ``pool`` at start-up and closes it at shutdown.

    The pool is stored on ``app.state.<state_key>``. An existing ``lifespan`` runs inside,
    with the pool already open. A failed start (``ServiceUnavailableError``) stops the app
    from starting, which is what an orchestrator's readiness probe wants.
    """

    @asynccontextmanager
    async def _lifespan(app: Any) -> AsyncIterator[None]:
        await pool.initialize()
        setattr(app.state, state_key, pool)
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            await pool.close()

    return _lifespan


def get_pool(request: Request, state_key: str = DEFAULT_STATE_KEY) -> AsyncDatabasePool:
    """The pool :func:`pool_lifespan` stored on the app."""
    pool = getattr(request.app.state, state_key, None)
    if not isinstance(pool, AsyncDatabasePool):
        raise RuntimeError(f"app.state.{state_key} holds no AsyncDatabasePool: use pool_lifespan()")
    return pool


async def db_connection(request: Request) -> AsyncIterator[AsyncConnection[Any]]:
    """A FastAPI dependency: a connection for the request, returned when it ends."""
    async with get_pool(request).connection() as conn:
        yield conn
