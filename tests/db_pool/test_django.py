"""Django glue: the DATABASES entry, Django's native pool, checks, the command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.db.utils import ConnectionHandler
from django.test import override_settings

from netrun.db_pool import DatabasePool, PoolConfig, clear_tenant
from netrun.db_pool import django as glue
from netrun.db_pool.checks import check_database_pools
from netrun.errors import ConfigurationError
from tests.db_pool.conftest import APP_PASSWORD, TENANT_A, RlsDatabase

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")


def test_database_settings_builds_a_pooled_entry() -> None:
    config = PoolConfig(
        url="postgresql://app:pw@db.internal:6432/shop?sslmode=require",
        min_size=1,
        max_size=8,
        _env_file=None,
    )
    entry = glue.database_settings(config, options={"application_name": "web"})
    assert entry["ENGINE"] == "django.db.backends.postgresql"
    assert (entry["NAME"], entry["USER"], entry["PASSWORD"]) == ("shop", "app", "pw")
    assert (entry["HOST"], entry["PORT"]) == ("db.internal", "6432")
    assert entry["CONN_MAX_AGE"] == 0
    assert entry["CONN_HEALTH_CHECKS"] is True
    options = entry["OPTIONS"]
    assert options["sslmode"] == "require"
    assert options["application_name"] == "web"
    assert options["connect_timeout"] == 10
    assert options["pool"]["min_size"] == 1
    assert options["pool"]["max_size"] == 8
    assert options["pool"]["reset"] is clear_tenant
    assert "check" not in options["pool"]
    assert "reset" not in glue.pool_options(config, reset_tenant=False)


def test_database_settings_refuses_a_missing_or_bad_url() -> None:
    with pytest.raises(ConfigurationError, match="DB_URL"):
        glue.database_settings(PoolConfig(url=None, _env_file=None))
    with pytest.raises(ConfigurationError) as caught:
        glue.database_settings(PoolConfig(url="host=h password=topsecret nonsense", _env_file=None))
    assert "topsecret" not in repr(caught.value.to_dict())


@pytest.fixture
def django_pool(rls_db: RlsDatabase, django_db_blocker: Any) -> Iterator[ConnectionHandler]:
    entry = glue.database_settings(
        PoolConfig(url=rls_db.app_dsn, min_size=1, max_size=1, timeout=5, _env_file=None)
    )
    entry.update({"TIME_ZONE": None, "ATOMIC_REQUESTS": False, "AUTOCOMMIT": True})
    handler = ConnectionHandler({"default": entry})
    # A handler of our own, outside pytest-django's test databases: allow it explicitly.
    with django_db_blocker.unblock():
        try:
            yield handler
        finally:
            wrapper: Any = handler["default"]
            wrapper.close()
            wrapper.close_pool()


def test_djangos_pool_clears_the_tenant_when_a_connection_is_returned(
    django_pool: ConnectionHandler,
) -> None:
    wrapper: Any = django_pool["default"]
    with wrapper.cursor() as cursor:
        # What netrun.rbac's backend will do per request.
        cursor.execute("SELECT set_config('netrun.tenant_id', %s, false)", [TENANT_A])
        cursor.execute("SELECT count(*), pg_backend_pid() FROM orders")
        count, pid = cursor.fetchone()
    assert count == 1
    wrapper.close()  # back to the pool, where the reset callback runs
    wrapper.pool.wait(timeout=5)
    with wrapper.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('netrun.tenant_id', true), pg_backend_pid(), "
            "(SELECT count(*) FROM orders)"
        )
        assert cursor.fetchone() == ("", pid, 0)
    metrics = glue.django_pool_metrics(django_pool)
    assert [m.name for m in metrics] == ["django:default"]
    assert metrics[0].size == 1
    assert metrics[0].acquisitions >= 2
    assert APP_PASSWORD not in metrics[0].database


def test_pooled_aliases_lists_only_pooled_entries() -> None:
    handler = ConnectionHandler(
        {
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
            "pg": {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"pool": True}},
        }
    )
    assert glue.pooled_aliases(handler) == ["pg"]
    assert glue.pooled_aliases() == []  # the test settings use no pool
    assert glue.django_pool_metrics() == []


def _pooled(**entry: Any) -> dict[str, Any]:
    return {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "pg": {"ENGINE": "django.db.backends.postgresql", "NAME": "x", **entry},
    }


def _ids(**entry: Any) -> list[str]:
    with override_settings(DATABASES=_pooled(**entry)):
        return [message.id or "" for message in check_database_pools()]


def test_check_e001_pool_with_persistent_connections() -> None:
    assert _ids(CONN_MAX_AGE=60, OPTIONS={"pool": True}) == ["netrun.db_pool.E001"]


def test_check_e002_pool_without_psycopg_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("netrun.db_pool.checks.is_available", lambda module: False)
    assert _ids(OPTIONS={"pool": True}) == ["netrun.db_pool.E002"]


def test_check_e003_pool_with_its_own_check_callback() -> None:
    assert _ids(OPTIONS={"pool": {"check": print}}) == ["netrun.db_pool.E003"]


@pytest.mark.django_db
def test_checks_pass_for_a_correct_pool_and_are_registered() -> None:
    assert _ids(OPTIONS={"pool": {"min_size": 1}}) == []
    assert _ids() == []
    with override_settings(DATABASES=_pooled(CONN_MAX_AGE=60, OPTIONS={"pool": True})):
        ids = [m.id for m in run_checks(include_deployment_checks=False, databases=None)]
    assert "netrun.db_pool.E001" in ids
    call_command("check", stdout=StringIO())


def test_command_without_pools_says_so() -> None:
    out = StringIO()
    call_command("netrun_db_pool", stdout=out)
    assert "No database pools" in out.getvalue()


def test_command_reports_open_netrun_pools_and_their_health(rls_db: RlsDatabase) -> None:
    pool = DatabasePool(PoolConfig(url=rls_db.app_dsn, min_size=1, max_size=2, _env_file=None))
    pool.initialize()
    try:
        out = StringIO()
        call_command("netrun_db_pool", "--health", stdout=out)
        text = out.getvalue()
        as_json = StringIO()
        call_command("netrun_db_pool", "--json", stdout=as_json)
        data = json.loads(as_json.getvalue())
    finally:
        pool.close()
    assert "netrun: healthy" in text
    assert "acquisitions" in text
    assert APP_PASSWORD not in text
    assert [p["name"] for p in data["pools"]] == ["netrun"]


def test_command_health_fails_with_an_exit_code(rls_db: RlsDatabase) -> None:
    pool = DatabasePool(PoolConfig(url=rls_db.app_dsn, min_size=1, max_size=1, _env_file=None))
    pool.initialize()
    try:
        # The only connection is taken.
        with pool.connection(), pytest.raises(CommandError, match="unhealthy"):
            call_command("netrun_db_pool", "--health", stdout=StringIO())
    finally:
        pool.close()


def test_command_url_opens_the_configured_pool(rls_db: RlsDatabase) -> None:
    out = StringIO()
    with override_settings(NETRUN_DB_POOL_URL=rls_db.app_dsn):
        call_command("netrun_db_pool", "--url", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["pools"][0]["size"] >= 1
    with override_settings(NETRUN_DB_POOL_URL=""), pytest.raises(CommandError, match="DB_URL"):
        call_command("netrun_db_pool", "--url", stdout=StringIO())
