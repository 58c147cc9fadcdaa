"""The dogfood RLS check on a real PostgreSQL database, through netrun's RLS engine.

The suite's own tables are migrated on a fresh database by an owner role; the check connects
as a NOSUPERUSER NOBYPASSRLS app role. ``tests.rbac.testapp``'s migration creates its tenant
tables without row-level security, so the check first fails naming them; netrun's
``EnableRLS`` operations then protect them and the same check passes.
"""

from __future__ import annotations

import socket
import sys
import types
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.test import override_settings

from netrun.dogfood import project
from netrun.rbac.db.operations import DisableRLS, EnableRLS

pytestmark = pytest.mark.postgres

RLS_ENGINE = "netrun.rbac.db.backends.postgresql"
OWNER, APP, PLAIN, DOWN = "dogfood_owner", "dogfood_app", "dogfood_plain", "dogfood_down"
TESTAPP_TABLES = ["testapp_comment", "testapp_tag", "testapp_ticket", "testapp_ticket_tags"]
TESTAPP_MODELS = ["Tag", "Ticket", "Comment"]


def _alias(dsn: str, *, engine: str = RLS_ENGINE, user: str | None = None) -> dict[str, Any]:
    parts = urlsplit(dsn)
    return {
        "ENGINE": engine,
        "NAME": parts.path.lstrip("/"),
        "USER": user or parts.username or "",
        "PASSWORD": "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {},
        "TIME_ZONE": None,
        "TEST": {"NAME": None, "CHARSET": None, "COLLATION": None, "MIGRATE": True, "MIRROR": None},
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def rls_aliases(postgres_server: str, django_db_blocker: Any) -> Iterator[str]:
    """A migrated database: ``dogfood_owner`` owns the tables, ``dogfood_app`` is the app."""
    import psycopg

    suffix = uuid.uuid4().hex[:10]
    name, owner, app = f"dogfood_{suffix}", f"dogfood_owner_{suffix}", f"dogfood_app_{suffix}"
    base, _, _ = postgres_server.rpartition("/")
    dsn = f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
        conn.execute(f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS".encode())
        conn.execute(f"CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT".encode())
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"ALTER SCHEMA public OWNER TO {owner}".encode())
        conn.execute(f"GRANT USAGE ON SCHEMA public TO {app}".encode())
    connections.settings[OWNER] = _alias(dsn, user=owner)
    connections.settings[APP] = _alias(dsn, user=app)
    connections.settings[PLAIN] = _alias(dsn, engine="django.db.backends.postgresql", user=app)
    down = f"postgresql://{app}@127.0.0.1:{_free_port()}/{name}"  # nothing listens there
    connections.settings[DOWN] = _alias(down, user=app)
    try:
        with django_db_blocker.unblock():
            call_command("migrate", database=OWNER, verbosity=0, interactive=False)
            yield app
    finally:
        for alias in (OWNER, APP, PLAIN, DOWN):
            if alias in connections:
                connections[alias].close()
                del connections[alias]
            connections.settings.pop(alias, None)
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
            conn.execute(f"DROP ROLE IF EXISTS {owner}".encode())
            conn.execute(f"DROP ROLE IF EXISTS {app}".encode())


def _testapp_rls(enable: bool) -> None:
    """Run netrun's migration operations for the test app's models on the owner alias."""
    from django.db.migrations.state import ProjectState

    state = ProjectState.from_apps(apps)
    operation = EnableRLS if enable else DisableRLS
    with connections[OWNER].schema_editor() as editor:
        for model in TESTAPP_MODELS:
            operation(model).database_forwards("testapp", editor, state, state)


def test_rls_check_fails_on_tenant_tables_without_rls_then_passes_with_it(
    rls_aliases: str,
) -> None:
    failed = project.check_rls(APP)
    assert failed.status == "fail", failed.details
    for table in TESTAPP_TABLES:
        assert f"netrun.rbac.E101 {table}: row-level security is not enabled" in failed.details, (
            table, failed.details,
        )  # fmt: skip
    # netrun's own tables were migrated with their RLS operations: only the test app's fail.
    named = {detail.split(":")[0].split()[1] for detail in failed.details}
    assert named <= set(TESTAPP_TABLES), failed.details

    _testapp_rls(enable=True)
    try:
        passed = project.check_rls(APP)
        assert passed.status == "pass", passed.details
        assert passed.summary == f"row-level security policies validated on {APP!r}"
    finally:
        _testapp_rls(enable=False)
    assert project.check_rls(APP).status == "fail"


def test_rls_check_warns_on_a_view_without_security_invoker(rls_aliases: str) -> None:
    _testapp_rls(enable=True)
    with connections[OWNER].cursor() as cursor:
        cursor.execute("CREATE VIEW dogfood_open_tickets AS SELECT * FROM testapp_ticket")
    try:
        warned = project.check_rls(APP)
        assert (warned.status, warned.summary) == ("warn", "1 warning(s)"), warned.details
        assert len(warned.details) == 1
        assert warned.details[0].startswith("netrun.rbac.W102 dogfood_open_tickets:")

        # An error alongside the warning fails, errors listed first.
        _testapp_rls(enable=False)
        failed = project.check_rls(APP)
        assert failed.status == "fail"
        assert failed.details[-1] == warned.details[0]
        assert all(".E1" in detail for detail in failed.details[:-1])
    finally:
        with connections[OWNER].cursor() as cursor:
            cursor.execute("DROP VIEW dogfood_open_tickets")
        _testapp_rls(enable=False)


def test_rls_check_reads_the_alias_named_by_the_setting(rls_aliases: str) -> None:
    _testapp_rls(enable=True)
    try:
        with override_settings(NETRUN_RBAC_RLS_DATABASE=APP):
            passed = project.check_rls()
        assert passed.summary == f"row-level security policies validated on {APP!r}"
    finally:
        _testapp_rls(enable=False)
    with override_settings(NETRUN_RBAC_RLS_DATABASE=APP):
        assert project.check_rls().status == "fail"


def test_rls_check_skips_a_plain_postgresql_engine_naming_it(rls_aliases: str) -> None:
    result = project.check_rls(PLAIN)
    assert connections[PLAIN].vendor == "postgresql"
    assert (result.status, result.summary) == (
        "skip",
        f"skipped: the {PLAIN!r} database's ENGINE is 'django.db.backends.postgresql', not "
        f"{RLS_ENGINE!r}: the project does not use row-level security",
    )


def test_rls_check_fails_when_the_database_does_not_answer(rls_aliases: str) -> None:
    result = project.check_rls(DOWN)
    assert result.status == "fail"
    assert result.summary.startswith("validation raised OperationalError: ")


def test_rls_check_without_the_validator_is_skipped_not_passed(
    rls_aliases: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An install whose netrun.rbac.db lacks the validator: the check cannot vouch for RLS.
    monkeypatch.setitem(sys.modules, "netrun.rbac.db", types.ModuleType("netrun.rbac.db"))
    result = project.check_rls(APP)
    assert (result.status, result.summary) == (
        "skip",
        "skipped: not available (netrun.rbac.db.validate_rls_policies)",
    )
