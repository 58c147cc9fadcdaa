"""Fixtures for the real servers on this machine: PostgreSQL and Redis on 127.0.0.1.

Tests that need a server request ``postgres_dsn`` or ``redis_url`` and carry the matching
marker (``-m postgres`` / ``-m redis`` select them). When the server (or its client
package) is missing the test is skipped on a developer's machine, and FAILS when ``CI=true``:
CI never passes by skipping (``tests/_require.py``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests._require import (  # the hooks register here: no skip passes under CI=true
    pytest_make_collect_report,
    pytest_runtest_makereport,
    pytest_terminal_summary,
    require_module,
    unavailable,
)

__all__ = ["pytest_make_collect_report", "pytest_runtest_makereport", "pytest_terminal_summary"]

POSTGRES_ADMIN_DSN = os.environ.get(
    "NETRUN_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("NETRUN_TEST_REDIS_URL", "redis://127.0.0.1:6379")

# Celery's Django fixup runs the system checks when an in-process test worker starts; Django
# 6.1's checks include every alias's database checks, which pytest-django refuses in a test
# without a database. The checks have tests of their own; workers started by tests skip them.
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")


@pytest.fixture(scope="session", autouse=True)
def _database_features_known(django_db_setup: None, django_db_blocker: Any) -> None:
    """Ask each test database what it supports once, at the start of the session.

    Django 6.1's model checks ask the databases whether they support JSON fields: SQLite
    answers with a query, cached per process. A test that runs the system checks without the
    database then passed or failed by the order its worker happened to run the tests in
    (whether an earlier test had asked already); now the answer is known before any test."""
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            _ = connection.features.supports_json_field


def _unavailable(service: str, error: BaseException) -> None:
    unavailable(service, f"not reachable: {type(error).__name__}: {error}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a server fixture, so ``-m postgres`` / ``-m redis`` work."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "postgres_dsn" in fixtures:
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in fixtures:
            item.add_marker(pytest.mark.redis)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin DSN of the PostgreSQL server, after checking it answers."""
    psycopg = require_module("psycopg")
    try:
        with psycopg.connect(POSTGRES_ADMIN_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        _unavailable("PostgreSQL", error)
    return POSTGRES_ADMIN_DSN


@pytest.fixture
def postgres_dsn(postgres_server: str) -> Iterator[str]:
    """A DSN to a fresh, empty database that is dropped after the test."""
    import psycopg
    from psycopg import sql

    name = f"netrun_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, _ = postgres_server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The base URL of the Redis server, after checking it answers."""
    redis = require_module("redis")
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        client.ping()
        client.close()
    except redis.RedisError as error:
        _unavailable("Redis", error)
    return REDIS_URL


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """A Redis URL on a database index of its own, flushed before and after the test.

    Each pytest-xdist worker (or a lone run) uses its own index from 1 to 15, so concurrent
    runs never flush each other's keys; index 0 is left to humans.
    """
    import redis

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = 1 + (int(worker.removeprefix("gw") or 0) % 15)
    url = f"{redis_server}/{index}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


class _ImportBlocker:
    """A meta-path finder that makes the named top-level packages look uninstalled."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the test)", name=name)


@pytest.fixture
def hide_modules(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``hide_modules("azure", "casbin")``: those packages look uninstalled for the test.

    Lets the "optional dependency missing" paths run in an environment that has every extra
    installed (as CI does), instead of being skipped there.
    """
    import sys

    def hide(*names: str) -> None:
        for module in list(sys.modules):
            if module.split(".")[0] in names:
                monkeypatch.delitem(sys.modules, module)
        monkeypatch.setattr(sys, "meta_path", [_ImportBlocker(names), *sys.meta_path])

    return hide
