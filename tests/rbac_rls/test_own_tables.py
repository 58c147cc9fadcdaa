"""netrun's own tenant tables behind row-level security, on real PostgreSQL.

Everything runs as the app role (LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT, not the tables'
owner) with ``netrun.llm`` installed, migrated by the owner role: the LLM ledger, policy and
usage tables and custom roles hide other tenants' rows, a permissive policy added later does
not widen them (the restrictive floor), and the reports over every tenant work through
``cross_tenant()``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.rbac_rls import conftest as rls
from tests.rbac_rls.conftest import RLSEnv

pytestmark = pytest.mark.django_db(databases=[])

OWN_TABLES = [
    "netrun_llm_budget_account",
    "netrun_llm_budget_alert",
    "netrun_llm_budget_reservation",
    "netrun_llm_budget_spend",
    "netrun_llm_scope_budget",
    "netrun_llm_tenant_policy",
    "netrun_llm_usage_hourly",
    "netrun_llm_usage_record",
    "netrun_llm_usage_scope_daily",
    "netrun_llm_usage_tag",
    "netrun_rbac_role",
]
WIDENED = [*OWN_TABLES, "rlsapp_project"]


@dataclass
class OwnEnv(RLSEnv):
    def env(self, *args: Any, **kwargs: Any) -> dict[str, str]:
        env = super().env(*args, **kwargs)
        env["DJANGO_SETTINGS_MODULE"] = "tests.rbac_rls.settings_own"
        return env

    def scenarios(self, *names: str) -> str:
        return self.run("-m", "tests.rbac_rls.own_scenarios", *names).stdout

    def rls_check(self) -> tuple[int, str]:
        done = self.manage("netrun_rls_check", check=False)
        return done.returncode, done.stdout + done.stderr


def _own_env(admin_dsn: str) -> Iterator[OwnEnv]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rls, "RLSEnv", OwnEnv)
        created = rls._create_env(admin_dsn)
        env = next(created)
    assert isinstance(env, OwnEnv)
    try:
        env.scenarios("seed")
        yield env
    finally:
        created.close()  # drops the database and the roles


@pytest.fixture(scope="module")
def own_env(postgres_server: str) -> Iterator[OwnEnv]:
    yield from _own_env(postgres_server)


@pytest.fixture
def fresh_own_env(postgres_server: str) -> Iterator[OwnEnv]:
    yield from _own_env(postgres_server)


def _policies(env: OwnEnv, tables: list[str]) -> dict[str, set[tuple[str, str]]]:
    import psycopg

    found: dict[str, set[tuple[str, str]]] = {t: set() for t in tables}
    with psycopg.connect(env.db_dsn) as conn:
        for table, name, permissive in conn.execute(
            "SELECT tablename, policyname, permissive FROM pg_policies WHERE tablename = ANY(%s)",
            [tables],
        ):
            found[table].add((name, permissive))
        forced = conn.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND relrowsecurity AND relforcerowsecurity ORDER BY 1",
            [tables],
        ).fetchall()
    assert [name for (name,) in forced] == sorted(tables)
    return found


def test_netruns_tables_are_forced_with_a_restrictive_floor(own_env: OwnEnv) -> None:
    policies = _policies(own_env, [*OWN_TABLES, "rlsapp_project", "rlsapp_project_labels"])
    for table, found in policies.items():
        assert found == {
            ("netrun_tenant_isolation", "PERMISSIVE"),
            ("netrun_tenant_floor", "RESTRICTIVE"),
            ("netrun_cross_tenant", "PERMISSIVE"),
        }, table
    code, output = own_env.rls_check()
    assert code == 0, output
    assert "RLS OK on 'default' (0 warning(s))" in output


def test_netruns_tables_hide_other_tenants_rows(own_env: OwnEnv) -> None:
    assert "PASS isolation" in own_env.scenarios("isolation")


def test_reports_over_every_tenant_work_through_cross_tenant(own_env: OwnEnv) -> None:
    assert "PASS aggregations" in own_env.scenarios("aggregations")


def test_an_added_permissive_policy_does_not_widen_access(fresh_own_env: OwnEnv) -> None:
    env = fresh_own_env
    env.admin_sql(
        *(
            f"CREATE POLICY user_wide ON {table} AS PERMISSIVE FOR ALL TO PUBLIC "
            "USING (true) WITH CHECK (true)"
            for table in WIDENED
        )
    )
    assert "PASS isolation" in env.scenarios("isolation")
    code, output = env.rls_check()
    assert code == 1, output  # warnings fail the command unless --errors-only
    for table in WIDENED:
        assert (
            f"netrun.rbac.W105 {table}: permissive policy user_wide is not netrun's: "
            "the restrictive floor bounds it to the current tenant"
        ) in output
    assert "E112" not in output

    # Without the floor, the same policy widens: the check says so as an error.
    env.admin_sql("DROP POLICY netrun_tenant_floor ON netrun_llm_budget_spend")
    code, output = env.rls_check()
    assert "netrun.rbac.E112 netrun_llm_budget_spend: no RESTRICTIVE policy" in output
    assert (
        "netrun.rbac.W105 netrun_llm_budget_spend: permissive policy user_wide is not "
        "netrun's: it widens what every role it names can see" in output
    )
    assert output.count("E112") == 1
    done = env.run("-m", "tests.rbac_rls.own_scenarios", "isolation", check=False)
    assert done.returncode != 0
    assert "netrun_llm_budget_spend" in done.stderr


def test_the_own_tables_migrations_reverse_cleanly(fresh_own_env: OwnEnv) -> None:
    env = fresh_own_env
    env.manage("migrate", "netrun_llm", "0004", "--database", "owner", "-v", "0")
    env.manage("migrate", "netrun_rbac", "0002", "--database", "owner", "-v", "0")
    import psycopg

    with psycopg.connect(env.db_dsn) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = ANY(%s)", [OWN_TABLES]
        ).fetchone()
        enabled = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relname = ANY(%s) AND relrowsecurity",
            [OWN_TABLES],
        ).fetchone()
    assert left == (0,)
    assert enabled == (0,)
    _code, output = env.rls_check()
    assert "netrun.rbac.E101 netrun_llm_budget_spend: row-level security is not enabled" in output
    env.manage("migrate", "--database", "owner", "-v", "0")
    code, output = env.rls_check()
    assert code == 0, output


def test_without_netruns_backend_netruns_tables_stay_open(postgres_dsn: str) -> None:
    """Django's own backend writes no tenant: FORCEd policies would hide every row there."""
    import psycopg

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.rbac_rls.settings_plain",
        "NETRUN_RLS_PLAIN_DSN": postgres_dsn,
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v", "0"],
        cwd=rls.ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with psycopg.connect(postgres_dsn) as conn:
        secured = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relname = ANY(%s) AND relrowsecurity",
            [OWN_TABLES],
        ).fetchone()
        present = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relname = ANY(%s)", [OWN_TABLES]
        ).fetchone()
        policies = conn.execute(
            "SELECT count(*) FROM pg_policies WHERE tablename = ANY(%s)", [OWN_TABLES]
        ).fetchone()
    assert present == (len(OWN_TABLES),)
    assert secured == (0,)
    assert policies == (0,)
