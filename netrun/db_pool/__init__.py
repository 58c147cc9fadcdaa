"""Netrun database pool.

Level 3: a tenant-aware, observable psycopg connection pool::

    from netrun.core.context import tenant_context
    from netrun.db_pool import DatabasePool, PoolConfig

    pool = DatabasePool(PoolConfig())          # DB_URL, DB_MIN_SIZE, ... from the environment
    pool.initialize()
    with tenant_context("3f1c..."), pool.connection() as conn:
        conn.execute("SELECT * FROM orders")   # RLS sees current_setting('netrun.tenant_id')

This module imports without Django settings configured, and without psycopg installed:
``DatabasePool`` and ``AsyncDatabasePool`` load psycopg when first accessed. Django glue is
``netrun.db_pool.django`` (``database_settings``), the FastAPI lifespan is
``netrun.db_pool.contrib.fastapi`` and the Prometheus collector ``netrun.db_pool.prometheus``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netrun.db_pool._metrics import PoolHealth, PoolMetrics
from netrun.db_pool._redact import redact_url
from netrun.db_pool._registry import active_pools
from netrun.db_pool._tenant import (
    TENANT_SETTING,
    apply_tenant,
    apply_tenant_async,
    clear_tenant,
    clear_tenant_async,
    set_tenant,
    set_tenant_async,
)
from netrun.db_pool.conf import PoolConfig

if TYPE_CHECKING:
    from netrun.db_pool.pool import AsyncDatabasePool, DatabasePool

__all__ = [
    "TENANT_SETTING",
    "AsyncDatabasePool",
    "DatabasePool",
    "PoolConfig",
    "PoolHealth",
    "PoolMetrics",
    "active_pools",
    "apply_tenant",
    "apply_tenant_async",
    "clear_tenant",
    "clear_tenant_async",
    "redact_url",
    "set_tenant",
    "set_tenant_async",
]

_LAZY = {"DatabasePool", "AsyncDatabasePool"}


def __getattr__(name: str) -> Any:
    # The pools are the only names that need psycopg at import; loading them on first use
    # keeps `import netrun.db_pool` (and the PoolConfig system check) working without it.
    if name in _LAZY:
        from netrun.db_pool import pool

        value = getattr(pool, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
