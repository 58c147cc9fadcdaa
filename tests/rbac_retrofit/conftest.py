"""A copy of ``retroapp`` in a temporary directory, migrated on a database of its own with the
RLS suite's roles (owner migrates, the app role is subject to the policies), and seeded as
the superuser: three tenants, accounts of two of them, five invoices with no tenant column.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.rbac_rls import conftest as rls
from tests.rbac_rls.conftest import RLSEnv

HERE = Path(__file__).resolve().parent
ACME = "00000000-0000-4000-8000-00000000a001"
GLOBEX = "00000000-0000-4000-8000-00000000b002"
INITECH = "00000000-0000-4000-8000-00000000c003"

# Built from the constants above only.
SEED = (
    "INSERT INTO netrun_rbac_tenant (id, slug, name, is_active, created) VALUES "  # noqa: S608
    f"('{ACME}', 'acme', 'Acme', true, now()), ('{GLOBEX}', 'globex', 'Globex', true, now()), "
    f"('{INITECH}', 'initech', 'Initech', true, now())",
    "INSERT INTO retroapp_account (id, name, tenant_id) VALUES "  # noqa: S608
    f"(1, 'acme-main', '{ACME}'), (2, 'acme-eu', '{ACME}'), (3, 'globex', '{GLOBEX}')",
    "INSERT INTO retroapp_invoice (id, number, customer_slug, account_id) VALUES "
    "(1, 'A-1', 'acme', 1), (2, 'A-2', 'acme', 2), (3, 'A-3', 'acme', 1), "
    "(4, 'G-1', 'globex', 3), (5, 'G-2', 'globex', 3)",
)
#: Each seeded invoice's tenant by its account (and by its slug).
EXPECTED = {1: ACME, 2: ACME, 3: ACME, 4: GLOBEX, 5: GLOBEX}


class RetroEnv(RLSEnv):
    """The RLS environment with ``retroapp`` importable from ``app_root``."""

    app_root: str = ""

    def env(self, *args: Any, **kwargs: Any) -> dict[str, str]:
        env = super().env(*args, **kwargs)
        env["DJANGO_SETTINGS_MODULE"] = "tests.rbac_retrofit.settings"
        env["PYTHONPATH"] = self.app_root
        return env

    @property
    def migrations(self) -> Path:
        return Path(self.app_root) / "retroapp" / "migrations"

    def make_invoice_tenant_scoped(self) -> None:
        """The user's change: ``Invoice`` subclasses ``TenantScopedModel``."""
        models = Path(self.app_root) / "retroapp" / "models.py"
        before = models.read_text()
        after = before.replace("class Invoice(models.Model):", "class Invoice(TenantScopedModel):")
        assert after != before
        models.write_text(after)

    def query(
        self,
        sql: str,
        params: Sequence[object] = (),
        *,
        role: str | None = None,
        tenant: str | None = None,
    ) -> list[Any]:
        import psycopg

        dsn = self.dsn_as(role) if role else self.db_dsn
        with psycopg.connect(dsn, autocommit=True) as conn:
            if tenant is not None:
                conn.execute("SELECT set_config('netrun.tenant_id', %s, false)", [tenant])
            return conn.execute(sql.encode(), params).fetchall()  # test constants only


@pytest.fixture
def retro_env(postgres_server: str, tmp_path: Path) -> Iterator[RetroEnv]:
    shutil.copytree(
        HERE / "retroapp", tmp_path / "retroapp", ignore=shutil.ignore_patterns("__pycache__")
    )
    bound = type("BoundRetroEnv", (RetroEnv,), {"app_root": str(tmp_path)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rls, "RLSEnv", bound)
        created = rls._create_env(postgres_server)
        env = next(created)
    assert isinstance(env, RetroEnv)
    try:
        env.admin_sql(*SEED)
        yield env
    finally:
        created.close()  # drops the database and the roles
