"""DatabasePool on the real PostgreSQL: tenant applied, cleared, never leaked."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest

from netrun.core.context import tenant_context
from netrun.db_pool import DatabasePool, PoolConfig
from netrun.errors import ConfigurationError, ServiceUnavailableError
from netrun.logging.testing import capture_logs
from tests.db_pool.conftest import APP_PASSWORD, TENANT_A, TENANT_B, RlsDatabase

SHOW = "SELECT current_setting('netrun.tenant_id', true)"


def _pool(dsn: str, **options: Any) -> DatabasePool:
    settings: dict[str, Any] = {"min_size": 1, "max_size": 1, "timeout": 5, **options}
    config = PoolConfig(url=dsn, **settings)
    pool = DatabasePool(config)
    pool.initialize()
    return pool


def _pool_events(logs: list[Any]) -> list[str]:
    return [e["event"] for e in logs if e["event"].startswith("pool_")]


def _tenant_and_pid(conn: Any) -> tuple[str | None, int]:
    row = conn.execute(f"{SHOW}, pg_backend_pid()").fetchone()
    return row[0], row[1]


def test_a_connection_used_for_a_tenant_is_clean_for_the_next_borrower(rls_db: RlsDatabase) -> None:
    pool = _pool(rls_db.app_dsn)
    try:
        with tenant_context(TENANT_A), pool.connection() as conn:
            seen, pid = _tenant_and_pid(conn)
            items = [r[0] for r in conn.execute("SELECT item FROM orders").fetchall()]
        assert (seen, items) == (TENANT_A, ["a-1"])
        with pool.connection() as conn:
            seen, same_pid = _tenant_and_pid(conn)
            count = conn.execute("SELECT count(*) FROM orders").fetchone()
        assert same_pid == pid  # max_size=1: the very same session
        assert seen == ""
        assert count == (0,)
    finally:
        pool.close()


def test_the_tenant_is_cleared_when_the_connection_comes_back(rls_db: RlsDatabase) -> None:
    pool = _pool(rls_db.app_dsn)
    try:
        with tenant_context(TENANT_A), pool.connection() as conn:
            pid = conn.info.backend_pid
        pool.pool.wait(timeout=5)  # the reset runs in the pool's worker
        import psycopg

        with psycopg.connect(rls_db.admin_dsn) as admin:
            # Another session cannot read our GUC, but it can see the session is idle
            # and that the reset ran: the last statement is the clearing set_config.
            query = admin.execute(
                "SELECT state, query FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
        assert query is not None
        assert query[0] == "idle"
        assert "set_config" in query[1]
    finally:
        pool.close()


@pytest.mark.parametrize("how", ["raises", "swallows_the_error"])
def test_a_failed_transaction_does_not_leave_the_tenant_behind(
    rls_db: RlsDatabase, how: str
) -> None:
    import psycopg

    pool = _pool(rls_db.app_dsn)
    try:
        with tenant_context(TENANT_A):
            if how == "raises":
                with pytest.raises(psycopg.errors.DivisionByZero), pool.connection() as conn:
                    conn.execute("SELECT 1 / 0")
            else:
                # The error is swallowed: the connection goes back INERROR.
                with pool.connection() as conn, contextlib.suppress(psycopg.errors.DivisionByZero):
                    conn.execute("SELECT 1 / 0")
        with pool.connection() as conn:
            assert conn.execute(SHOW).fetchone() == ("",)
            assert conn.execute("SELECT count(*) FROM orders").fetchone() == (0,)
    finally:
        pool.close()


def test_the_tenant_survives_the_borrowers_own_rollback(rls_db: RlsDatabase) -> None:
    pool = _pool(rls_db.app_dsn)
    try:
        with tenant_context(TENANT_B), pool.connection() as conn:
            conn.execute("SELECT 1")
            conn.rollback()
            assert conn.execute(SHOW).fetchone() == (TENANT_B,)
            assert conn.execute("SELECT item FROM orders").fetchall() == [("b-1",)]
    finally:
        pool.close()


def test_rls_refuses_a_write_into_another_tenant(rls_db: RlsDatabase) -> None:
    import psycopg

    pool = _pool(rls_db.app_dsn)
    try:
        with tenant_context(TENANT_A), pool.connection() as conn:
            conn.execute("INSERT INTO orders (tenant_id, item) VALUES (%s, 'a-2')", (TENANT_A,))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("INSERT INTO orders (tenant_id, item) VALUES (%s, 'x')", (TENANT_B,))
    finally:
        pool.close()


def test_autocommit_connections_get_the_tenant_too(rls_db: RlsDatabase) -> None:
    config = PoolConfig(url=rls_db.app_dsn, min_size=0, max_size=1, timeout=5)
    with DatabasePool(config, connection_kwargs={"autocommit": True}) as pool:
        with tenant_context(TENANT_A), pool.connection() as conn:
            assert conn.autocommit
            assert conn.execute(SHOW).fetchone() == (TENANT_A,)
        with pool.connection() as conn:
            assert conn.execute(SHOW).fetchone() == ("",)


def test_metrics_count_borrowers_and_connections(rls_db: RlsDatabase) -> None:
    pool = _pool(rls_db.app_dsn, max_size=2)
    try:
        pool.pool.wait(timeout=5)
        with pool.connection():
            held = pool.metrics()
        pool.pool.wait(timeout=5)
        after = pool.metrics()
    finally:
        pool.close()
    assert held.in_use == 1
    assert held.size >= 1
    # initialize() borrows once through psycopg_pool directly, not through connection().
    assert after.acquisitions == 1
    assert after.in_use == 0
    assert after.acquire_errors == 0
    assert after.acquire_seconds_total > 0
    assert after.acquire_seconds_mean == after.acquire_seconds_total
    assert after.as_dict()["database"].endswith(rls_db.app_dsn.rpartition("@")[2])
    assert APP_PASSWORD not in str(after.as_dict())
    assert pool.metrics().size == 0  # closed


def test_an_exhausted_pool_raises_service_unavailable(rls_db: RlsDatabase) -> None:
    pool = _pool(rls_db.app_dsn)
    try:
        with (
            pool.connection(),
            capture_logs(processors=[]) as logs,
            pytest.raises(ServiceUnavailableError) as caught,
            pool.connection(timeout=0.2),
        ):
            pass  # pragma: no cover - never entered
        error = caught.value
        assert error.status_code == 503
        assert error.details["reason"] == "PoolTimeout"
        assert error.details["database"] == pool.database
        assert APP_PASSWORD not in repr(error.to_dict())
        assert _pool_events(logs) == ["pool_acquire_failed"]
        assert APP_PASSWORD not in repr(logs)
        assert pool.metrics().acquire_errors == 1
    finally:
        pool.close()


def test_initialisation_failure_is_service_unavailable_without_the_password() -> None:
    # Nothing listens on port 1; the loopback server trusts local logins, so a wrong
    # password would not fail.
    bad = "postgresql://app:wrong-" + APP_PASSWORD + "@127.0.0.1:1/app"
    pool = DatabasePool(PoolConfig(url=bad, min_size=1, max_size=1, timeout=1))
    with capture_logs(processors=[]) as logs, pytest.raises(ServiceUnavailableError) as caught:
        pool.initialize()
    assert caught.value.message == "Database pool initialization failed"
    assert ":***@" in caught.value.details["database"]
    assert "wrong-" not in repr(caught.value.to_dict())
    assert caught.value.__cause__ is None
    assert _pool_events(logs) == ["pool_initializing", "pool_initialization_failed"]
    assert "wrong-" not in repr(logs)
    assert all(":***@" in e["database"] for e in logs if e["event"].startswith("pool_"))
    assert not pool.is_open


def test_every_log_line_names_the_database_redacted(rls_db: RlsDatabase) -> None:
    with capture_logs(processors=[]) as logs:
        pool = _pool(rls_db.app_dsn)
        pool.health_check()
        pool.close()
    assert _pool_events(logs) == ["pool_initializing", "pool_initialized", "pool_closed"]
    assert all(e["database"] == pool.database for e in logs if e["event"].startswith("pool_"))
    assert APP_PASSWORD not in repr(logs)


def test_health_check_reports_healthy_and_unhealthy(rls_db: RlsDatabase) -> None:
    pool = _pool(rls_db.app_dsn)
    healthy = pool.health_check()
    pool.close()
    unhealthy = pool.health_check()
    assert healthy.healthy
    assert healthy.as_dict()["status"] == "healthy"
    assert not unhealthy.healthy
    assert unhealthy.error is not None
    assert "ConfigurationError" in unhealthy.error


def test_using_the_pool_before_initialize_or_without_url_is_a_configuration_error() -> None:
    pool = DatabasePool(PoolConfig(url=None))
    with pytest.raises(ConfigurationError), pool.connection():
        pass  # pragma: no cover - never entered
    with pytest.raises(ConfigurationError, match="DB_URL"):
        pool.initialize()
    pool.close()  # closing a pool that never opened is a no-op
    assert "DatabasePool" in repr(pool)


def test_initialize_is_idempotent(rls_db: RlsDatabase) -> None:
    pool = _pool(rls_db.app_dsn)
    inner = pool.pool
    pool.initialize()
    assert pool.pool is inner
    pool.close()


def test_the_pool_heals_after_its_backends_are_killed_and_never_mixes_tenants(
    rls_db: RlsDatabase,
) -> None:
    """A server restart under load, without restarting the shared server.

    pg_terminate_backend on every session of the app role is what a restart does to the
    pool's connections. Borrowers keep running meanwhile and each checks that the session
    shows its own tenant (or '') and only its tenant's rows.
    """
    import psycopg

    config = PoolConfig(url=rls_db.app_dsn, min_size=2, max_size=4, timeout=10)
    pool = DatabasePool(config)
    pool.initialize()
    stop = threading.Event()
    wrong: list[tuple[str | None, Any]] = []
    served = [0]
    failures: list[str] = []
    expected_items = {TENANT_A: ["a-1"], TENANT_B: ["b-1"], None: []}

    def borrower(tenant: str | None) -> None:
        while not stop.is_set():
            try:
                with tenant_context(tenant), pool.connection() as conn:
                    seen = conn.execute(SHOW).fetchone()
                    items = [r[0] for r in conn.execute("SELECT item FROM orders").fetchall()]
                if seen != (tenant or "",) or items != expected_items[tenant]:
                    wrong.append((tenant, (seen, items)))
                served[0] += 1
            except (psycopg.OperationalError, ServiceUnavailableError) as error:
                # A session killed in the middle of a query fails that one query.
                failures.append(type(error).__name__)

    threads = [
        threading.Thread(target=borrower, args=(tenant,), daemon=True)
        for tenant in (TENANT_A, TENANT_B, None, TENANT_A)
    ]
    for thread in threads:
        thread.start()
    try:
        with psycopg.connect(rls_db.admin_dsn, autocommit=True) as admin:
            for _ in range(5):
                time.sleep(0.15)
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                    (rls_db.role,),
                )
        before = served[0]
        time.sleep(0.5)
        healed = served[0] - before
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    health = pool.health_check()
    metrics = pool.metrics()
    pool.close()
    assert wrong == []
    assert healed > 0, f"no borrower was served after the kills; failures={failures}"
    assert health.healthy, health.error
    assert metrics.size >= 1
    assert len(failures) < served[0]
