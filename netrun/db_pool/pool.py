"""Tenant-aware psycopg pools: :class:`DatabasePool` (threads) and :class:`AsyncDatabasePool`.

Both wrap psycopg_pool and add what a multi-tenant service needs:

* ``connection()`` writes the current tenant (``netrun.core.context``) on the session when a
  connection is handed out and clears it when it comes back, also after a failed
  transaction, so nothing of one borrower's tenant reaches the next (see ``_tenant``);
* ``tenant_scope="transaction"`` (PgBouncer and other poolers in transaction mode): nothing is
  written on the session; each ``connection()`` block is one transaction that starts with
  ``set_config('netrun.tenant_id', %s, true)``. In session scope a pooler in front is
  detected and each block then reads the tenant back, refusing (``ConfigurationError``) a
  server session that holds another;
* the tenant write doubles as the pool's liveness check: a connection killed by a server
  restart fails it, is discarded, and the borrower gets another one, without a process
  restart and without an extra round trip;
* metrics (:class:`PoolMetrics`) and :meth:`health_check`;
* ``ServiceUnavailableError`` (503) when the pool cannot start or a borrower gets no
  connection, naming the database by its redacted URL; logs never carry the password.

The pool core is framework-neutral: no Django import. psycopg and psycopg_pool come with
``pip install "netrun[postgres]"``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from netrun.core.blocks import Closing
from netrun.core.context import current_tenant_id
from netrun.db_pool import _registry
from netrun.db_pool._metrics import Counters, PoolHealth, PoolMetrics
from netrun.db_pool._redact import redact_error, redact_url
from netrun.db_pool._tenant import (
    TENANT_SCOPES,
    apply_tenant,
    apply_tenant_async,
    behind_pooler,
    clear_tenant,
    clear_tenant_async,
    set_tenant_local,
    set_tenant_local_async,
    verify_tenant,
    verify_tenant_async,
)
from netrun.db_pool.conf import PoolConfig
from netrun.errors import ConfigurationError, ServiceUnavailableError
from netrun.logging import get_logger

if TYPE_CHECKING:
    from psycopg import AsyncConnection, Connection
    from psycopg_pool import AsyncConnectionPool, ConnectionPool
    from psycopg_pool.base import BasePool

__all__ = ["AsyncDatabasePool", "DatabasePool"]

logger = get_logger(__name__)

_Pool = TypeVar("_Pool", bound="BasePool")


class _PoolBase(Generic[_Pool]):
    """Configuration, state, metrics and error handling shared by the sync and async pools."""

    def __init__(
        self,
        config: PoolConfig,
        *,
        connection_kwargs: Mapping[str, Any] | None = None,
        tenant_scope: str = "session",
    ) -> None:
        if tenant_scope not in TENANT_SCOPES:
            raise ConfigurationError(
                f"tenant_scope must be one of {', '.join(TENANT_SCOPES)}; got {tenant_scope!r}."
            )
        self.tenant_scope = tenant_scope
        self.config = config
        self.name = config.pool_name
        self._kwargs = dict(connection_kwargs or {})
        self._counters = Counters()
        self._database = self._redact_url(config.url_value() or "")
        self._pool: _Pool | None = None

    @property
    def pool(self) -> _Pool:
        """The underlying psycopg_pool pool (raises before :meth:`initialize`)."""
        if self._pool is None:
            raise ConfigurationError("The database pool is not initialised: call initialize().")
        return self._pool

    @property
    def is_open(self) -> bool:
        return self._pool is not None and not self._pool.closed

    def metrics(self) -> PoolMetrics:
        """A snapshot of the pool's gauges and counters."""
        return self._metrics(self._pool.get_stats() if self._pool is not None else None)

    def _log_initializing(self) -> None:
        logger.info(
            "pool_initializing",
            pool=self.name,
            database=self.database,
            min_size=self.config.min_size,
            max_size=self.config.max_size,
        )

    def _opened(self, pool: _Pool) -> None:
        self._pool = pool
        _registry.register(self)
        logger.info("pool_initialized", pool=self.name, database=self.database)

    def _closed(self) -> None:
        self._pool = None
        _registry.unregister(self)
        logger.info("pool_closed", pool=self.name, database=self.database)

    def _acquire_failed(self, error: Exception) -> ServiceUnavailableError:
        self._counters.failed()
        return self._unavailable("pool_acquire_failed", "No database connection available", error)

    @staticmethod
    def _redact_url(url: str) -> str:
        """Redact the password from a database URL for logging (the seeds' method)."""
        return redact_url(url)

    @property
    def database(self) -> str:
        """The database URL with its password masked: what logs and errors show."""
        return self._database

    def _conninfo(self) -> str:
        url = self.config.url_value()
        if not url:
            raise ConfigurationError(
                "The database pool has no URL: set DB_URL (or NETRUN_DB_POOL_URL).",
                pool=self.name,
            )
        return url

    def _pool_arguments(self) -> dict[str, Any]:
        cfg = self.config
        kwargs: dict[str, Any] = {"connect_timeout": max(1, round(cfg.connect_timeout))}
        kwargs.update(self._kwargs)
        return {
            "conninfo": self._conninfo(),
            "kwargs": kwargs,
            "min_size": cfg.min_size,
            "max_size": cfg.max_size,
            "open": False,
            "name": self.name,
            "timeout": cfg.timeout,
            "max_waiting": cfg.max_waiting,
            "max_lifetime": cfg.max_lifetime,
            "max_idle": cfg.max_idle,
            "reconnect_timeout": cfg.reconnect_timeout,
        }

    def _unavailable(
        self, event: str, message: str, error: BaseException
    ) -> ServiceUnavailableError:
        reason = redact_error(error, self.config.url_value() or "")
        logger.error(event, pool=self.name, database=self.database, error=reason)
        # The client sees the redacted URL and the error class, not libpq's text.
        return ServiceUnavailableError(
            message, database=self.database, pool=self.name, reason=type(error).__name__
        )

    def _metrics(self, stats: Mapping[str, int] | None) -> PoolMetrics:
        stats = stats or {}
        c = self._counters
        return PoolMetrics(
            name=self.name,
            database=self.database,
            min_size=self.config.min_size,
            max_size=self.config.max_size,
            size=stats.get("pool_size", 0),
            idle=stats.get("pool_available", 0),
            in_use=c.in_use,
            waiting=stats.get("requests_waiting", 0),
            acquisitions=c.acquisitions,
            acquire_errors=c.errors,
            connection_errors=stats.get("connections_errors", 0),
            acquire_seconds_total=c.seconds_total,
            acquire_seconds_max=c.seconds_max,
        )

    def _health(
        self, started: float, error: BaseException | None, metrics: PoolMetrics
    ) -> PoolHealth:
        latency = (time.perf_counter() - started) * 1000.0
        reason = None if error is None else redact_error(error, self.config.url_value() or "")
        if error is not None:
            logger.warning(
                "pool_health_check_failed", pool=self.name, database=self.database, error=reason
            )
        return PoolHealth(error is None, self.database, latency, reason, metrics)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} database={self.database!r}>"


class DatabasePool(Closing, _PoolBase["ConnectionPool[Connection[Any]]"]):
    """A thread-safe, tenant-aware pool on ``psycopg_pool.ConnectionPool``::

        pool = DatabasePool(PoolConfig(url="postgresql://app@db/app"))
        pool.initialize()
        with tenant_context(tenant.id), pool.connection() as conn:
            rows = conn.execute("SELECT * FROM orders").fetchall()

    ``connection_kwargs`` go to ``psycopg.connect`` (``autocommit``, ``row_factory``...).
    """

    def initialize(self) -> None:
        """Open the pool and prove the database answers; idempotent.

        Raises ``ServiceUnavailableError`` when no connection can be made within
        ``config.timeout`` (the pool is closed again: no reconnect loop is left behind).
        """
        if self.is_open:
            return
        from psycopg_pool import ConnectionPool

        self._log_initializing()
        if self.tenant_scope == "transaction":
            # Nothing on the session: the check only proves the connection alive.
            pool: ConnectionPool[Connection[Any]] = ConnectionPool(
                check=ConnectionPool.check_connection, **self._pool_arguments()
            )
        else:
            pool = ConnectionPool(check=apply_tenant, reset=clear_tenant, **self._pool_arguments())
        try:
            pool.open(wait=self.config.min_size > 0, timeout=self.config.timeout)
            # A probe, so that min_size=0 also proves the URL and credentials now.
            with pool.connection(timeout=self.config.timeout) as conn:
                conn.execute("SELECT 1")
        except Exception as error:
            pool.close(timeout=0)
            raise self._unavailable(
                "pool_initialization_failed", "Database pool initialization failed", error
            ) from None
        self._opened(pool)

    def close(self, timeout: float = 5.0) -> None:
        """Close every connection; borrowers still holding one may use it until they return it."""
        if self._pool is None:
            return
        self._pool.close(timeout=timeout)
        self._closed()

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Connection[Any]]:
        """Borrow a connection with the current tenant applied; return it on exit.

        Like psycopg's own block, the transaction is committed when the block succeeds and
        rolled back when it raises. The tenant is the one bound when the block starts.
        """
        pool = self.pool
        started = time.perf_counter()
        try:
            conn = pool.getconn(timeout)
        except Exception as error:
            raise self._acquire_failed(error) from None
        self._counters.acquired(time.perf_counter() - started)
        try:
            with conn:
                if self.tenant_scope == "transaction":
                    with conn.transaction():
                        set_tenant_local(conn, current_tenant_id())
                        yield conn
                elif behind_pooler(conn):
                    with conn.transaction():
                        verify_tenant(conn, current_tenant_id())
                        yield conn
                else:
                    yield conn
        finally:
            pool.putconn(conn)
            self._counters.released()

    def health_check(self, timeout: float | None = None) -> PoolHealth:
        """Borrow a connection and run ``SELECT 1``; never raises."""
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            with self.connection(timeout or min(self.config.timeout, 5.0)) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:
            error = exc.__cause__ or exc
        return self._health(started, error, self.metrics())

    def __enter__(self) -> DatabasePool:
        self.initialize()
        return self


class AsyncDatabasePool(_PoolBase["AsyncConnectionPool[AsyncConnection[Any]]"]):
    """The seeds' ``AsyncDatabasePool`` on ``psycopg_pool.AsyncConnectionPool``::

    pool = AsyncDatabasePool(PoolConfig())
    await pool.initialize()
    async with tenant_context(tenant.id), pool.connection() as conn:
        cursor = await conn.execute("SELECT * FROM orders")
    """

    async def initialize(self) -> None:
        """Open the pool and prove the database answers; idempotent.

        Raises ``ServiceUnavailableError`` when no connection can be made within
        ``config.timeout``.
        """
        if self.is_open:
            return
        from psycopg_pool import AsyncConnectionPool

        self._log_initializing()
        pool: AsyncConnectionPool[AsyncConnection[Any]]
        if self.tenant_scope == "transaction":
            pool = AsyncConnectionPool(
                check=AsyncConnectionPool.check_connection, **self._pool_arguments()
            )
        else:
            pool = AsyncConnectionPool(
                check=apply_tenant_async, reset=clear_tenant_async, **self._pool_arguments()
            )
        try:
            await pool.open(wait=self.config.min_size > 0, timeout=self.config.timeout)
            async with pool.connection(timeout=self.config.timeout) as conn:
                await conn.execute("SELECT 1")
        except Exception as error:
            await pool.close(timeout=0)
            raise self._unavailable(
                "pool_initialization_failed", "Database pool initialization failed", error
            ) from None
        self._opened(pool)

    async def close(self, timeout: float = 5.0) -> None:
        if self._pool is None:
            return
        await self._pool.close(timeout=timeout)
        self._closed()

    @asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[AsyncConnection[Any]]:
        """Borrow a connection with the current tenant applied; return it on exit."""
        pool = self.pool
        started = time.perf_counter()
        try:
            conn = await pool.getconn(timeout)
        except Exception as error:
            raise self._acquire_failed(error) from None
        self._counters.acquired(time.perf_counter() - started)
        try:
            async with conn:
                if self.tenant_scope == "transaction":
                    async with conn.transaction():
                        await set_tenant_local_async(conn, current_tenant_id())
                        yield conn
                elif behind_pooler(conn):
                    async with conn.transaction():
                        await verify_tenant_async(conn, current_tenant_id())
                        yield conn
                else:
                    yield conn
        finally:
            await pool.putconn(conn)
            self._counters.released()

    async def health_check(self, timeout: float | None = None) -> PoolHealth:
        """Borrow a connection and run ``SELECT 1``; never raises."""
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            async with self.connection(timeout or min(self.config.timeout, 5.0)) as conn:
                await conn.execute("SELECT 1")
        except Exception as exc:
            error = exc.__cause__ or exc
        return self._health(started, error, self.metrics())

    async def __aenter__(self) -> AsyncDatabasePool:
        await self.initialize()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
