"""validate_rls_policies / netrun_rls_check find each seeded misconfiguration."""

from __future__ import annotations

import pytest

from tests.rbac_rls.conftest import RLSEnv

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_each_seeded_misconfiguration_is_reported(fresh_rls_env: RLSEnv) -> None:
    env = fresh_rls_env
    env.admin_sql(
        "ALTER TABLE rlsapp_label NO FORCE ROW LEVEL SECURITY",
        "DROP INDEX IF EXISTS rlsapp_label_tenant_id_" + "x",  # name varies: dropped below
        "CREATE POLICY loose ON rlsapp_project FOR ALL USING (true)",
        "CREATE VIEW project_titles AS SELECT title FROM rlsapp_project",
        "CREATE MATERIALIZED VIEW project_counts AS SELECT count(*) FROM rlsapp_project",
        "CREATE UNIQUE INDEX label_name_everywhere ON rlsapp_label (name)",
        "DO $$ DECLARE i text; BEGIN FOR i IN SELECT indexname FROM pg_indexes "
        "WHERE tablename = 'rlsapp_label' AND indexdef LIKE '%(tenant_id)%' LOOP "
        "EXECUTE format('DROP INDEX %I', i); END LOOP; END $$",
    )
    result = env.manage("netrun_rls_check", check=False)
    assert result.returncode == 1
    out = result.stdout
    assert "netrun.rbac.E102 rlsapp_label" in out  # no FORCE
    assert "netrun.rbac.E104 rlsapp_project: policy loose has no WITH CHECK" in out
    assert "netrun.rbac.W101 rlsapp_label" in out  # unindexed tenant column
    assert "netrun.rbac.W102 project_titles" in out  # view without security_invoker
    assert "netrun.rbac.W103 project_counts" in out  # materialized view
    assert "netrun.rbac.W104 rlsapp_label: unique index label_name_everywhere" in out
    checked = env.manage("check", "--database", "default", check=False)
    assert "netrun.rbac.E102" in checked.stderr

    # A view that runs as its caller is fine.
    env.admin_sql("ALTER VIEW project_titles SET (security_invoker = true)")
    assert "W102" not in env.manage("netrun_rls_check", check=False).stdout


def test_bypassing_app_roles_are_reported(fresh_rls_env: RLSEnv) -> None:
    env = fresh_rls_env
    sup, byp, member = (f"{env.app}_{s}" for s in ("super", "bypass", "member"))
    env.extra_roles += [member, sup, byp]
    env.admin_sql(
        f"CREATE ROLE {sup} NOLOGIN SUPERUSER",
        f"CREATE ROLE {byp} NOLOGIN BYPASSRLS",
        f"CREATE ROLE {member} NOLOGIN INHERIT",
        f"GRANT {byp} TO {member}",
        f"GRANT {env.cross} TO {member}",
    )
    out = env.manage("netrun_rls_check", "--app-role", sup, check=False).stdout
    assert f"netrun.rbac.E105 {sup}" in out
    out = env.manage("netrun_rls_check", "--app-role", byp, check=False).stdout
    assert f"netrun.rbac.E106 {byp}" in out
    out = env.manage("netrun_rls_check", "--app-role", member, check=False).stdout
    assert f"netrun.rbac.E107 {member}: is a member of {byp}" in out
    assert f"netrun.rbac.E108 {member}" in out
    out = env.manage("netrun_rls_check", "--app-role", "no_such_role_x", check=False).stdout
    assert "netrun.rbac.E111" in out
    # The correct app role passes.
    assert env.manage("netrun_rls_check", "--app-role", env.app).returncode == 0


def test_migrations_reverse_cleanly(fresh_rls_env: RLSEnv) -> None:
    env = fresh_rls_env
    env.manage("migrate", "--database", "owner", "rlsapp", "0001", "-v", "0")
    out = env.manage("netrun_rls_check", check=False).stdout
    assert "netrun.rbac.E101 rlsapp_project" in out
    assert "netrun.rbac.E103 rlsapp_project_labels" in out
    sql = env.manage("sqlmigrate", "rlsapp", "0002", "--database", "owner").stdout
    assert "FORCE ROW LEVEL SECURITY" in sql
    assert "WITH CHECK" in sql
    env.manage("migrate", "--database", "owner", "rlsapp", "-v", "0")
    assert env.manage("netrun_rls_check").returncode == 0
