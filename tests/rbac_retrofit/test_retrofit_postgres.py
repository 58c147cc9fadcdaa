"""Retrofitting tenancy on a table with rows, on real PostgreSQL, as a user would.

``retroapp.Invoice`` starts as a plain model with rows; the test makes it subclass
``TenantScopedModel``, runs ``netrun_rbac_retrofit`` (which writes the migration) and
``migrate`` as the owner role, then reads as the app role (NOSUPERUSER NOBYPASSRLS). The
rule ``account__tenant`` crosses ``retroapp_account``, already behind FORCEd row-level
security: the backfill has to bind each tenant in turn to see any account at all.
"""

from __future__ import annotations

import pytest

from tests.rbac_retrofit.conftest import ACME, EXPECTED, GLOBEX, RetroEnv

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(databases=[])]

MIGRATION = "0003_retrofit_tenant_invoice.py"
ORM_READ = (
    "import sys, django; django.setup()\n"
    "from netrun.core.context import tenant_context\n"
    "from retroapp.models import Invoice\n"
    "with tenant_context(sys.argv[1]):\n"
    "    print(sorted(Invoice.objects.values_list('number', flat=True)))\n"
)


def _tenants(env: RetroEnv) -> dict[int, str]:
    rows = env.query("SELECT id, tenant_id::text FROM retroapp_invoice ORDER BY id")
    return dict(rows)


def _has_tenant_column(env: RetroEnv) -> bool:
    return bool(
        env.query(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'retroapp_invoice' AND column_name = 'tenant_id'"
        )
    )


def _applied(env: RetroEnv) -> list[str]:
    rows = env.query("SELECT name FROM django_migrations WHERE app = 'retroapp' ORDER BY name")
    return [name for (name,) in rows]


def _rls(env: RetroEnv, table: str = "retroapp_invoice") -> tuple[bool, bool]:
    [(enabled, forced)] = env.query(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table]
    )
    return enabled, forced


def test_retrofit_gives_every_row_its_tenant_and_puts_the_table_behind_rls(
    retro_env: RetroEnv,
) -> None:
    env = retro_env
    env.make_invoice_tenant_scoped()
    wrote = env.manage(
        "netrun_rbac_retrofit", "retroapp.Invoice", "--tenant-from", "account__tenant"
    )
    assert f"Wrote {env.migrations / MIGRATION}" in wrote.stdout
    # Nothing else for makemigrations to do: the model's state matches the migrations.
    env.manage("makemigrations", "retroapp", "--check", "--dry-run")
    env.manage("migrate", "--database", "owner", "-v", "0")

    assert _tenants(env) == EXPECTED
    [(nullable,)] = env.query(
        "SELECT is_nullable FROM information_schema.columns "
        "WHERE table_name = 'retroapp_invoice' AND column_name = 'tenant_id'"
    )
    assert nullable == "NO"
    [(foreign_keys,)] = env.query(
        "SELECT count(*) FROM pg_constraint "
        "WHERE conrelid = 'retroapp_invoice'::regclass AND contype = 'f'"
    )
    assert foreign_keys == 2  # account and tenant
    assert _rls(env) == (True, True)
    # FORCE, lifted on the account table for the backfill, is back.
    assert _rls(env, "retroapp_account") == (True, True)
    policies = env.query("SELECT policyname FROM pg_policies WHERE tablename = 'retroapp_invoice'")
    assert {name for (name,) in policies} == {
        "netrun_tenant_isolation",
        "netrun_tenant_floor",
        "netrun_cross_tenant",
    }

    # The app role sees its tenant's invoices only, and none without a tenant.
    read = "SELECT number FROM retroapp_invoice ORDER BY number"
    assert env.query(read, role=env.app, tenant=ACME) == [("A-1",), ("A-2",), ("A-3",)]
    assert env.query(read, role=env.app, tenant=GLOBEX) == [("G-1",), ("G-2",)]
    assert env.query(read, role=env.app) == []
    orm = env.run("-c", ORM_READ, GLOBEX)
    assert orm.stdout.strip() == "['G-1', 'G-2']"


def test_dry_run_counts_the_rows_and_changes_nothing(retro_env: RetroEnv) -> None:
    env = retro_env
    env.admin_sql(
        "INSERT INTO retroapp_invoice (id, number, customer_slug, account_id) "
        "VALUES (6, 'X-1', '', NULL)"
    )
    env.make_invoice_tenant_scoped()
    before = env.query("SELECT * FROM retroapp_invoice ORDER BY id")

    done = env.manage(
        "netrun_rbac_retrofit",
        "retroapp.Invoice",
        "--tenant-from",
        "account__tenant",
        "--dry-run",
        "--database",
        "owner",
    )
    out = done.stdout
    assert "BackfillTenant(" in out
    assert "EnableRLS(" in out
    assert "On database 'owner': 5 row(s) would get a tenant, 1 would get none." in out
    assert "Rows without a tenant (first primary keys): 6." in out
    assert out.rstrip().endswith("Dry run: nothing was written or changed.")

    assert not (env.migrations / MIGRATION).exists()
    assert not _has_tenant_column(env)
    assert _applied(env) == ["0001_initial", "0002_netrun_rls"]
    assert env.query("SELECT * FROM retroapp_invoice ORDER BY id") == before
    assert _rls(env) == (False, False)
    assert _rls(env, "retroapp_account") == (True, True)

    # On the app's alias migrations do not run (the router): no counts, said so.
    app_alias = env.manage(
        "netrun_rbac_retrofit", "retroapp.Invoice", "--tenant-from", "account__tenant", "--dry-run"
    )
    assert "No row counts: Migrations of retroapp do not run on database 'default'" in (
        app_alias.stdout
    )


def test_rows_without_a_tenant_stop_the_migration_and_nothing_is_half_applied(
    retro_env: RetroEnv,
) -> None:
    env = retro_env
    env.admin_sql(
        "INSERT INTO retroapp_invoice (id, number, customer_slug, account_id) "
        "VALUES (6, 'U-1', 'umbrella', 1), (7, 'U-2', 'umbrella', NULL)"
    )
    env.make_invoice_tenant_scoped()
    env.manage(
        "netrun_rbac_retrofit", "retroapp.Invoice", "--tenant-from", "retroapp.rules.tenant_by_slug"
    )
    assert (env.migrations / MIGRATION).exists()

    failed = env.manage("migrate", "--database", "owner", "-v", "0", check=False)
    assert failed.returncode != 0
    assert (
        "TenantBackfillError: 2 retroapp.Invoice row(s) get no tenant from the rule "
        "'retroapp.rules.tenant_by_slug' (primary keys 6, 7)"
    ) in failed.stderr
    # One transaction: the column, the backfill and the policies are all rolled back.
    assert not _has_tenant_column(env)
    assert _applied(env) == ["0001_initial", "0002_netrun_rls"]
    assert _rls(env) == (False, False)

    env.admin_sql("UPDATE retroapp_invoice SET customer_slug = 'globex' WHERE id IN (6, 7)")
    env.manage("migrate", "--database", "owner", "-v", "0")
    assert _tenants(env) == {**EXPECTED, 6: GLOBEX, 7: GLOBEX}
    assert _applied(env)[-1] == MIGRATION.removesuffix(".py")


def test_a_rule_naming_no_existing_tenant_stops_the_migration(retro_env: RetroEnv) -> None:
    env = retro_env
    env.make_invoice_tenant_scoped()
    env.manage(
        "netrun_rbac_retrofit", "retroapp.Invoice", "--tenant-from", "retroapp.rules.no_such_tenant"
    )
    failed = env.manage("migrate", "--database", "owner", "-v", "0", check=False)
    assert failed.returncode != 0
    assert (
        "RetrofitError: Tenant rule 'retroapp.rules.no_such_tenant' returned "
        "UUID('00000000-0000-0000-0000-000000000001') for retroapp.Invoice 1: "
        "no netrun_rbac.Tenant has that primary key."
    ) in failed.stderr
    assert not _has_tenant_column(env)
    assert _applied(env) == ["0001_initial", "0002_netrun_rls"]
