"""Fixtures for netrun.db_pool: an RLS-protected table reached as a non-superuser role.

A suite connected as superuser would pass falsely (superusers ignore RLS), so the pools
under test log in as a role created per test: LOGIN, NOSUPERUSER, NOBYPASSRLS, not the
table's owner, with FORCE ROW LEVEL SECURITY on the table.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import pytest

TENANT_A = "11111111-1111-1111-1111-111111111111"
TENANT_B = "22222222-2222-2222-2222-222222222222"
APP_PASSWORD = "s3cret-Pa55word"


@dataclass(frozen=True)
class RlsDatabase:
    admin_dsn: str  # superuser, on the test database
    app_dsn: str  # the restricted role, password included
    role: str


def _with_user(dsn: str, user: str, password: str) -> str:
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{user}:{password}@{host}", parts.path, "", ""))


@pytest.fixture
def rls_db(postgres_dsn: str) -> Iterator[RlsDatabase]:
    import psycopg
    from psycopg import sql

    role = f"netrun_app_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB "
                "NOCREATEROLE PASSWORD {}"
            ).format(sql.Identifier(role), sql.Literal(APP_PASSWORD))
        )
        conn.execute(
            "CREATE TABLE orders (id serial PRIMARY KEY, tenant_id uuid NOT NULL, item text)"
        )
        conn.execute("ALTER TABLE orders ENABLE ROW LEVEL SECURITY")
        conn.execute("ALTER TABLE orders FORCE ROW LEVEL SECURITY")
        conn.execute(
            "CREATE POLICY tenant_isolation ON orders USING "
            "(tenant_id = nullif(current_setting('netrun.tenant_id', true), '')::uuid) "
            "WITH CHECK (tenant_id = nullif(current_setting('netrun.tenant_id', true), '')::uuid)"
        )
        conn.execute(sql.SQL("GRANT SELECT, INSERT ON orders TO {}").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("GRANT USAGE ON SEQUENCE orders_id_seq TO {}").format(sql.Identifier(role))
        )
        # The owner (superuser) bypasses RLS: seed one row per tenant.
        conn.execute(
            "INSERT INTO orders (tenant_id, item) VALUES (%s, 'a-1'), (%s, 'b-1')",
            (TENANT_A, TENANT_B),
        )
    try:
        yield RlsDatabase(postgres_dsn, _with_user(postgres_dsn, role, APP_PASSWORD), role)
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
