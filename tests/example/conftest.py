"""The example project on PostgreSQL with row-level security: an owner role and an app role.

A database set up the way docs/deployment.md tells users to: an owner role (``NOSUPERUSER
NOBYPASSRLS``) that owns the schema and the tables and runs ``migrate --database owner``,
and an app role (``NOSUPERUSER NOBYPASSRLS NOINHERIT``) that serves requests with the DML
rights the owner's default privileges grant. ``rls_database`` is ``postgres_dsn``'s fresh,
empty database; ``seeded_rls_database`` is one per module, migrated by the owner and seeded
by the app. Roles are cluster-wide, so their names are unique and they are dropped once the
database (which holds their privileges and the owner's tables) is gone.

``routed_rls_database`` and ``served_rls_database`` are those two, parametrized over how the
app role reaches PostgreSQL: ``direct``, or ``pgbouncer``, a PgBouncer of the test's own in
transaction mode (2 server connections) with ``DB_TENANT_SCOPE=transaction``, as
docs/scaling.md tells users to run behind one. The owner still migrates directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pytest

from tests._pgbouncer import PgBouncer, running_pgbouncer
from tests.example.test_example_project import manage

#: The password ``seeded_rls_database`` gives every demo tenant member.
MEMBER_PASSWORD = "rls-demo-password-1"


@dataclass(frozen=True)
class RLSDatabase:
    admin_dsn: str  # the database, as the superuser
    owner: str
    app: str
    pooler: PgBouncer | None = None  # the app role's way in, when not direct

    @property
    def name(self) -> str:
        return self.admin_dsn.rpartition("/")[2]

    def url_as(self, role: str) -> str:
        _credentials, _, location = self.admin_dsn.partition("@")
        return f"postgres://{role}@{location}"

    def through(self, pooler: PgBouncer) -> RLSDatabase:
        """The same database, the app role going through ``pooler``."""
        return replace(self, pooler=pooler)

    @property
    def env(self) -> dict[str, str]:
        """The example project's variables: the app role serves, the owner migrates."""
        if self.pooler is None:
            return {
                "DATABASE_URL": self.url_as(self.app),
                "DATABASE_OWNER_URL": self.url_as(self.owner),
            }
        return {
            "DATABASE_URL": f"postgres://{self.app}@127.0.0.1:{self.pooler.port}/{self.name}",
            "DATABASE_OWNER_URL": self.url_as(self.owner),
            "DB_TENANT_SCOPE": "transaction",
        }


def _execute(dsn: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement.encode())  # built from generated names only


@contextmanager
def _owner_and_app_roles(server_dsn: str, database_dsn: str) -> Iterator[RLSDatabase]:
    suffix = uuid.uuid4().hex[:10]
    database = RLSDatabase(database_dsn, f"helpdesk_owner_{suffix}", f"helpdesk_app_{suffix}")
    owner, app = database.owner, database.app
    try:
        _execute(
            server_dsn,
            f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS",
            f"CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT",
        )
        _execute(
            database_dsn,
            f"ALTER SCHEMA public OWNER TO {owner}",
            f"GRANT USAGE ON SCHEMA public TO {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        )
        yield database
    finally:
        name = database_dsn.rpartition("/")[2]
        # The roles can only go once the database is gone (postgres_dsn's own drop after
        # this one is IF EXISTS).
        _execute(
            server_dsn,
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            f"DROP ROLE IF EXISTS {app}",
            f"DROP ROLE IF EXISTS {owner}",
        )


@pytest.fixture
def rls_database(postgres_server: str, postgres_dsn: str) -> Iterator[RLSDatabase]:
    """``postgres_dsn``'s empty database with an owner and an app role; not migrated."""
    with _owner_and_app_roles(postgres_server, postgres_dsn) as database:
        yield database


@pytest.fixture(scope="module")
def seeded_rls_database(postgres_server: str) -> Iterator[RLSDatabase]:
    """A database of the module's own, migrated as the owner and seeded as the app role."""
    name = f"netrun_test_{uuid.uuid4().hex[:12]}"
    _execute(postgres_server, f"CREATE DATABASE {name}")
    base, _, _ = postgres_server.rpartition("/")
    with _owner_and_app_roles(postgres_server, f"{base}/{name}") as database:
        manage("migrate", "--database", "owner", "--no-input", env=database.env)
        manage("seed_demo", "--member-password", MEMBER_PASSWORD, env=database.env)
        yield database


@contextmanager
def _routed(database: RLSDatabase, route: str) -> Iterator[RLSDatabase]:
    if route == "direct":
        yield database
        return
    with running_pgbouncer([database.app, database.owner], pool_size=2) as bouncer:
        yield database.through(bouncer)


ROUTES = ["direct", "pgbouncer"]


@pytest.fixture(params=ROUTES)
def routed_rls_database(
    request: pytest.FixtureRequest, rls_database: RLSDatabase
) -> Iterator[RLSDatabase]:
    """``rls_database``, the app role going directly or through PgBouncer (transaction mode)."""
    with _routed(rls_database, request.param) as database:
        yield database


@pytest.fixture(scope="module", params=ROUTES)
def served_rls_database(
    request: pytest.FixtureRequest, seeded_rls_database: RLSDatabase
) -> Iterator[RLSDatabase]:
    """``seeded_rls_database``, served directly or through PgBouncer (transaction mode)."""
    with _routed(seeded_rls_database, request.param) as database:
        yield database
