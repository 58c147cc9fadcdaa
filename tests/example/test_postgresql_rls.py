"""The example helpdesk on PostgreSQL with row-level security, as docs/example-project.md runs it.

The owner role migrates (``manage.py migrate --database owner``) and the app role
(``DATABASE_URL``) serves. The ORM's tenant filter is the first wall; these tests prove the
second: the database itself hides every other tenant's tickets and comments from the app
role, over HTTP, through the netrun backend's connection and on a bare connection of the
role, with no ORM filter at all. The tests of the served project run twice
(``served_rls_database``): the app role straight to PostgreSQL, and through a PgBouncer in
transaction mode (2 server connections) with ``DB_TENANT_SCOPE=transaction``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.example.conftest import MEMBER_PASSWORD
from tests.example.test_example_project import ROOT, _get_when_up, manage, serve

if TYPE_CHECKING:
    from tests.example.conftest import RLSDatabase

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TABLES = ("helpdesk_ticket", "helpdesk_comment")
NETRUN = Path(sys.executable).with_name("netrun")

# Runs inside the example project as the app role: what its own connection returns with
# acme's context bound and with none, through raw SQL and through all_tenants (both without
# the ORM's tenant filter).
BACKEND_PROBE = """
import json
from django.db import connections
from example_project.helpdesk.models import Ticket
from netrun.core.context import tenant_context
from netrun.rbac.models import Tenant

def seen():
    found = {}
    with connections["default"].cursor() as cursor:
        for table in ("helpdesk_ticket", "helpdesk_comment"):
            cursor.execute("SELECT tenant_id::text FROM " + table)
            found[table] = sorted(row[0] for row in cursor.fetchall())
    rows = Ticket.all_tenants.reason("RLS probe").values_list("tenant_id", flat=True)
    found["all_tenants"] = sorted(str(tenant_id) for tenant_id in rows)
    return found

acme = Tenant.objects.get(slug="acme")
with tenant_context(acme.pk):
    bound = seen()
print(json.dumps({"acme": str(acme.pk), "bound": bound, "unbound": seen()}))
"""


def _tenants(database: RLSDatabase) -> dict[str, str]:
    import psycopg

    with psycopg.connect(database.admin_dsn) as conn:
        rows = conn.execute("SELECT slug, id::text FROM netrun_rbac_tenant").fetchall()
    return dict(rows)


def _shell(code: str, env: dict[str, str]) -> Any:
    # `shell` may print a banner line (auto-imports) before the probe's own JSON line.
    return json.loads(manage("shell", "-c", code, env=env).stdout.strip().splitlines()[-1])


def _api(url: str, token: str | None = None, data: dict[str, str] | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def test_migrating_as_the_owner_forces_rls_and_the_checks_pass(
    served_rls_database: RLSDatabase,
) -> None:
    import psycopg

    database = served_rls_database
    with psycopg.connect(database.admin_dsn) as conn:
        tables = conn.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity, pg_get_userbyid(relowner) "
            "FROM pg_class WHERE relname = ANY(%s) ORDER BY relname",
            [list(TABLES)],
        ).fetchall()
        policies = conn.execute(
            "SELECT tablename, policyname, roles::text[], with_check IS NOT NULL "
            "FROM pg_policies WHERE tablename = ANY(%s) ORDER BY tablename, policyname",
            [list(TABLES)],
        ).fetchall()
    assert tables == [
        ("helpdesk_comment", True, True, database.owner),
        ("helpdesk_ticket", True, True, database.owner),
    ]
    assert policies == [
        ("helpdesk_comment", "netrun_tenant_floor", ["public"], True),
        ("helpdesk_comment", "netrun_tenant_isolation", [database.app], True),
        ("helpdesk_ticket", "netrun_tenant_floor", ["public"], True),
        ("helpdesk_ticket", "netrun_tenant_isolation", [database.app], True),
    ]

    rls_check = manage("netrun_rls_check", env=database.env)
    assert "RLS OK on 'default' (0 warning(s))" in rls_check.stdout
    checks = manage("check", "--database", "default", "--fail-level", "WARNING", env=database.env)
    assert "System check identified no issues" in checks.stdout


def test_over_http_each_member_lists_only_their_own_tenants_tickets(
    served_rls_database: RLSDatabase,
) -> None:
    database = served_rls_database
    titles: dict[str, list[str]] = {}
    with serve(database.env) as url:
        health = json.loads(_get_when_up(f"{url}/health/"))
        assert health["checks"]["database"]["vendor"] == "postgresql"
        for username in ("alice", "gus"):
            login = {"username": username, "password": MEMBER_PASSWORD}
            token = _api(f"{url}/api/token/", data=login)["access_token"]
            listing = _api(f"{url}/api/tickets/", token)
            titles[username] = [ticket["title"] for ticket in listing["results"]]
    assert titles == {
        "alice": ["Welcome to Acme Corp"],
        "gus": ["Welcome to Globex Corporation"],
    }
    if database.pooler is not None:  # the server's queries really went through PgBouncer
        assert database.pooler.logins(database.app, database.name) > 0


def test_the_app_connection_sees_only_the_bound_tenants_rows_without_the_orm_filter(
    served_rls_database: RLSDatabase,
) -> None:
    probe = _shell(BACKEND_PROBE, served_rls_database.env)
    acme = probe["acme"]
    # The netrun backend wrote acme's ID on the session: no other tenant's row comes back.
    assert probe["bound"] == {
        "helpdesk_ticket": [acme], "helpdesk_comment": [acme], "all_tenants": [acme],
    }  # fmt: skip
    # No tenant bound: the backend wrote '' and the policies match no row at all.
    assert probe["unbound"] == {
        "helpdesk_ticket": [], "helpdesk_comment": [], "all_tenants": [],
    }  # fmt: skip


def test_a_bare_app_role_connection_sees_only_the_tenant_it_sets(
    seeded_rls_database: RLSDatabase,
) -> None:
    import psycopg
    from psycopg import sql

    database = seeded_rls_database
    tenants = _tenants(database)
    acme, globex = tenants["acme"], tenants["globex"]

    def visible(conn: psycopg.Connection[Any]) -> dict[str, list[str]]:
        """The tenant ID of every row of each table the connection can see."""
        found = {}
        for table in TABLES:
            query = sql.SQL("SELECT tenant_id::text FROM {}").format(sql.Identifier(table))
            found[table] = [row[0] for row in conn.execute(query).fetchall()]
        return found

    nothing: dict[str, list[str]] = {"helpdesk_ticket": [], "helpdesk_comment": []}
    with psycopg.connect(database.url_as(database.app), autocommit=True) as conn:
        # A new session has no tenant: nothing is visible.
        assert visible(conn) == nothing

        conn.execute("SELECT set_config('netrun.tenant_id', %s, false)", [acme])
        assert visible(conn) == {"helpdesk_ticket": [acme], "helpdesk_comment": [acme]}
        # Writes into another tenant: refused on insert, nothing touched on update.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO helpdesk_ticket (title, status, created, tenant_id) "
                "VALUES ('forged', 'open', now(), %s)",
                [globex],
            )
        hijack = conn.execute(
            "UPDATE helpdesk_ticket SET title = 'hijacked' WHERE tenant_id = %s", [globex]
        )
        assert hijack.rowcount == 0

        conn.execute("SELECT set_config('netrun.tenant_id', '', false)")
        assert visible(conn) == nothing

    # The superuser, who bypasses RLS, still sees both tenants' rows, untouched.
    with psycopg.connect(database.admin_dsn) as conn:
        rows = conn.execute("SELECT tenant_id::text, title FROM helpdesk_ticket").fetchall()
    assert sorted(rows) == sorted(
        [(acme, "Welcome to Acme Corp"), (globex, "Welcome to Globex Corporation")]
    )


def test_netrun_dogfood_passes_the_rls_check(served_rls_database: RLSDatabase) -> None:
    from netrun.dogfood import CHECKS

    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APP_"))}
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "CACHE_URL", "REDIS_URL", "PYTHONPATH"):
        base.pop(name, None)
    done = subprocess.run(
        [str(NETRUN), "dogfood", "--settings", "example_project.settings", "--json"],
        cwd=ROOT, env={**base, **served_rls_database.env},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    try:
        report = json.loads(done.stdout)
    except ValueError:
        pytest.fail(
            f"dogfood exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    failing = [check for check in report["checks"] if check["status"] not in ("pass", "skip")]
    assert done.returncode == 0, (failing, done.stderr[-3000:])
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert statuses == dict.fromkeys(CHECKS, "pass"), report
    rls = report["checks"][list(CHECKS).index("rls")]
    assert rls["summary"] == "row-level security policies validated on 'default'"
    assert report["ok"] is True


def test_the_rls_migration_is_reversible(rls_database: RLSDatabase) -> None:
    import psycopg

    env = rls_database.env
    manage("migrate", "--database", "owner", "--no-input", env=env)
    manage("migrate", "helpdesk", "0002", "--database", "owner", "--no-input", env=env)
    with psycopg.connect(rls_database.admin_dsn) as conn:
        enabled = conn.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s) ORDER BY relname",
            [list(TABLES)],
        ).fetchall()
        policies = conn.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = ANY(%s)", [list(TABLES)]
        ).fetchone()
    assert enabled == [("helpdesk_comment", False, False), ("helpdesk_ticket", False, False)]
    assert policies == (0,)
    unprotected = manage("netrun_rls_check", env=env, check=False)
    assert unprotected.returncode == 1
    assert "netrun.rbac.E101 helpdesk_ticket: row-level security is not enabled" in (
        unprotected.stdout
    )

    manage("migrate", "helpdesk", "--database", "owner", "--no-input", env=env)
    assert "RLS OK on 'default'" in manage("netrun_rls_check", env=env).stdout


def test_without_an_owner_url_the_rls_checks_report_the_unsafe_setup(postgres_dsn: str) -> None:
    # DATABASE_URL alone, as the superuser: the owner alias falls back to it, so the app
    # role is a superuser that owns the tables and RLS would never apply to it.
    env = {"DATABASE_URL": postgres_dsn}
    on_the_app_alias = manage("migrate", "--no-input", env=env, check=False)
    assert on_the_app_alias.returncode != 0
    assert "(netrun.rbac.E105) postgres: superusers ignore row-level security" in (
        on_the_app_alias.stderr
    )

    manage("migrate", "--database", "owner", "--no-input", env=env)
    report = manage("netrun_rls_check", env=env, check=False)
    assert report.returncode == 1
    assert "netrun.rbac.E105 postgres: superusers ignore row-level security" in report.stdout
    assert "netrun.rbac.E109 helpdesk_ticket: the app role postgres owns the table" in (
        report.stdout
    )
