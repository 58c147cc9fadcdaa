"""A real PostgreSQL database per module with an owner role, an app role and a
cross-tenant role, migrated as the owner; the scenarios run in subprocesses as the app.

Roles are cluster-wide, so their names are unique per run and they are dropped in
``finally`` (after ``DROP OWNED``, which releases the objects the owner created).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests._pgbouncer import PgBouncer, running_pgbouncer

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RLSEnv:
    admin_dsn: str
    db_dsn: str
    owner: str
    app: str
    cross: str
    extra_roles: list[str] = field(default_factory=list)

    def dsn_as(self, role: str) -> str:
        _base, _, tail = self.db_dsn.partition("@")
        return f"postgresql://{role}@{tail}"

    def env(self, *, pool: bool = False, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="tests.rbac_rls.settings",
            NETRUN_RLS_APP_DSN=self.dsn_as(self.app),
            NETRUN_RLS_OWNER_DSN=self.dsn_as(self.owner),
            NETRUN_RLS_APP_ROLE=self.app,
            NETRUN_RLS_CROSS_ROLE=self.cross,
            NETRUN_RLS_POOL="1" if pool else "0",
        )
        env.update(extra or {})
        return env

    def through(
        self, bouncer: PgBouncer, *, scope: str, session_check: str = "auto"
    ) -> dict[str, str]:
        """Environment that sends the app alias through ``bouncer`` with a tenant scope."""
        _base, _, tail = self.db_dsn.rpartition("/")
        return {
            "NETRUN_RLS_APP_DSN": bouncer.dsn(self.app, tail),
            "NETRUN_RLS_POOLER": "1",
            "NETRUN_RLS_SCOPE": scope,
            "NETRUN_RLS_SESSION_CHECK": session_check,
        }

    def run(
        self,
        *args: str,
        pool: bool = False,
        check: bool = True,
        extra: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env(pool=pool, extra=extra),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def manage(
        self,
        *args: str,
        pool: bool = False,
        check: bool = True,
        extra: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "django", *args, pool=pool, check=check, extra=extra)

    def admin_sql(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.db_dsn, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement.encode())  # statements built from test constants only


def _create_env(admin_dsn: str) -> Iterator[RLSEnv]:
    import psycopg

    suffix = uuid.uuid4().hex[:10]
    name = f"netrun_rls_{suffix}"
    base, _, _ = admin_dsn.rpartition("/")
    env = RLSEnv(
        admin_dsn,
        f"{base}/{name}",
        f"rls_owner_{suffix}",
        f"rls_app_{suffix}",
        f"rls_cross_{suffix}",
    )
    roles = [env.owner, env.app, env.cross]
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
        conn.execute(f"CREATE ROLE {env.owner} LOGIN NOSUPERUSER NOBYPASSRLS".encode())
        conn.execute(f"CREATE ROLE {env.app} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT".encode())
        conn.execute(f"CREATE ROLE {env.cross} NOLOGIN NOSUPERUSER NOBYPASSRLS".encode())
        conn.execute(f"GRANT {env.cross} TO {env.app}".encode())
    try:
        env.admin_sql(
            f"ALTER SCHEMA public OWNER TO {env.owner}",
            f"GRANT USAGE ON SCHEMA public TO {env.app}, {env.cross}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {env.owner} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {env.app}, {env.cross}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {env.owner} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {env.app}, {env.cross}",
        )
        env.manage("migrate", "--database", "owner", "-v", "0")
        yield env
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
            for role in [*env.extra_roles, *roles]:
                conn.execute(f"DROP ROLE IF EXISTS {role}".encode())


@pytest.fixture(scope="module")
def rls_env(postgres_server: str) -> Iterator[RLSEnv]:
    """A migrated database shared by a module's read-mostly scenarios."""
    yield from _create_env(postgres_server)


@pytest.fixture
def fresh_rls_env(postgres_server: str) -> Iterator[RLSEnv]:
    """A migrated database of the test's own, for tests that break the setup."""
    yield from _create_env(postgres_server)


@pytest.fixture(scope="module")
def pgbouncer(rls_env: RLSEnv) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode, 2 server connections, in front of ``rls_env``."""
    with running_pgbouncer([rls_env.app, rls_env.owner, "postgres"], pool_size=2) as bouncer:
        yield bouncer
