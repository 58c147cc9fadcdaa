"""The scope budgets' table behind row-level security on real PostgreSQL, as migration 0011
puts it: migrated by the owner role through netrun's backend, read and written as the app role
(not the owner, no BYPASSRLS), which sees and writes only the bound tenant's budgets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rbac_rls.test_own_tables import OwnEnv, _own_env, _policies

pytestmark = pytest.mark.django_db(databases=[])

A = "00000000-0000-0000-0000-00000000000a"
B = "00000000-0000-0000-0000-00000000000b"
TABLE = "netrun_llm_scope_budget"
INSERT = (
    f"INSERT INTO {TABLE} (tenant_id, kind, value, limit_usd, period, alert_thresholds, "  # noqa: S608
    "enabled, updated_at) VALUES (%s, 'user', '7', 1, 'day', '', true, now())"
)


@pytest.fixture(scope="module")
def env(postgres_server: str) -> Iterator[OwnEnv]:
    yield from _own_env(postgres_server)


def test_the_table_is_forced_under_the_tenant_policy_and_its_floor(env: OwnEnv) -> None:
    assert _policies(env, [TABLE])[TABLE] == {
        ("netrun_tenant_isolation", "PERMISSIVE"),
        ("netrun_tenant_floor", "RESTRICTIVE"),
        ("netrun_cross_tenant", "PERMISSIVE"),
    }


def test_the_app_role_sees_and_writes_only_the_bound_tenants_budgets(env: OwnEnv) -> None:
    import psycopg

    with psycopg.connect(env.dsn_as(env.app), autocommit=True) as conn:

        def bind(tenant: str) -> None:
            conn.execute("SELECT set_config('netrun.tenant_id', %s, false)", [tenant])

        def seen() -> list[str]:
            rows = conn.execute(f"SELECT tenant_id FROM {TABLE}").fetchall()  # noqa: S608
            return sorted(tenant for (tenant,) in rows)

        bind(A)
        conn.execute(INSERT, [A])
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(INSERT, [B])  # bound to A, writing B's row: WITH CHECK refuses
        bind(B)
        conn.execute(INSERT, [B])
        assert seen() == [B]
        bind(A)
        assert seen() == [A]
        bind("")
        assert seen() == []  # no tenant bound: nothing, not everything
