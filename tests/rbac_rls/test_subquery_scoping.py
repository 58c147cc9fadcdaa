"""Subqueries scoped by PostgreSQL row-level security (the second wall), as the app role.

The ORM wall's side is ``tests/rbac/test_subquery_scoping.py``; here the scenarios lift it
(``unscoped``) or go around it (raw SQL), and each subquery form still reads only the bound
tenant's rows, and no row at all when no tenant is bound.
"""

from __future__ import annotations

import pytest

from tests.rbac_rls.conftest import RLSEnv

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture(scope="module")
def seeded(rls_env: RLSEnv) -> RLSEnv:
    rls_env.run("-m", "tests.rbac_rls.subquery_scenarios", "seed")
    return rls_env


def test_the_database_scopes_subqueries_without_the_orm(seeded: RLSEnv) -> None:
    done = seeded.run("-m", "tests.rbac_rls.subquery_scenarios", "rls_scopes_subqueries")
    assert "PASS rls_scopes_subqueries" in done.stdout


def test_both_walls_scope_subqueries_and_fail_closed(seeded: RLSEnv) -> None:
    done = seeded.run("-m", "tests.rbac_rls.subquery_scenarios", "both_walls")
    assert "PASS both_walls" in done.stdout


def test_without_rls_the_subquery_reads_every_tenant(fresh_rls_env: RLSEnv) -> None:
    """The control: with the table's policies dropped, the same scenario sees tenant B."""
    fresh_rls_env.run("-m", "tests.rbac_rls.subquery_scenarios", "seed")
    fresh_rls_env.admin_sql(
        "ALTER TABLE rlsapp_project NO FORCE ROW LEVEL SECURITY",
        "ALTER TABLE rlsapp_project DISABLE ROW LEVEL SECURITY",
    )
    done = fresh_rls_env.run(
        "-m", "tests.rbac_rls.subquery_scenarios", "rls_scopes_subqueries", check=False
    )
    assert done.returncode != 0
    assert "sq-b" in done.stderr
