"""SQLLedger behind netrun's row-level security, as a NOSUPERUSER NOBYPASSRLS app role.

The ledger's tables get exactly the policies the ``netrun.llm`` migration ``0006`` creates
(``netrun.rbac.db``'s statements: the tenant policy for the app role, the restrictive floor,
FORCE). The ledger writes its tenant transaction-locally in every statement, so it works as the
app role; the functions called with one tenant written and another passed cannot read,
change or create the other tenant's rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from netrun.llm.policy.ledgers import Period
from netrun.llm.policy.ledgers.base import BudgetWindow, ReservationRefused, WindowUsage
from netrun.llm.policy.ledgers.sql import SQLLedger
from netrun.rbac.db._sql import current_tenant_expr, enable_statements

TABLES = ("netrun_llm_budget_account", "netrun_llm_budget_spend", "netrun_llm_budget_reservation")
DAY = BudgetWindow(
    Period.DAY, dt.date(2026, 1, 5), 1_000, dt.datetime(2026, 1, 6, tzinfo=dt.timezone.utc)
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as(dsn: str, role: str) -> str:
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


@pytest.fixture
def app_dsn(postgres_dsn: str) -> Iterator[str]:
    """Tables and functions created by the owner (the test's superuser), RLS enabled as the
    migration does, and a LOGIN NOSUPERUSER NOBYPASSRLS role to use them."""
    role = f"netrun_ledger_app_{uuid.uuid4().hex[:10]}"
    owner = SQLLedger(postgres_dsn)
    owner.create_tables()
    owner.close()
    predicate = f"{_quote('tenant_id')} = {current_tenant_expr('text')}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT")
        for table in TABLES:
            for statement in enable_statements(_quote, table, predicate, app_role=role):
                conn.execute(statement)
            conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
        conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    try:
        yield _as(postgres_dsn, role)
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def _rows(admin_dsn: str, table: str) -> list[tuple[str, ...]]:
    with psycopg.connect(admin_dsn) as conn:
        return [
            tuple(str(v) for v in row)
            for row in conn.execute(f"SELECT tenant_id, * FROM {table} ORDER BY 1, 2")  # noqa: S608
        ]


def test_the_ledger_works_as_the_app_role_under_rls(app_dsn: str, postgres_dsn: str) -> None:
    with psycopg.connect(app_dsn) as conn:  # the premise: the role really is walled in
        assert conn.execute(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (False,)
        assert conn.execute("SELECT count(*) FROM netrun_llm_budget_spend").fetchone() == (0,)
    ledger = SQLLedger(app_dsn)
    ledger.reserve("acme", "a1", [DAY], 600, 60)
    ledger.reserve("globex", "g1", [DAY], 900, 60)  # another tenant's budget is its own
    with pytest.raises(ReservationRefused):
        ledger.reserve("acme", "a2", [DAY], 500, 60)
    ledger.settle("acme", "a1", [DAY], 400)
    ledger.reserve("acme", "a3", [DAY], 500, 60)
    ledger.release("acme", "a3")
    assert ledger.usage("acme", DAY) == WindowUsage(spent=400, reserved=0)
    assert ledger.usage("globex", DAY) == WindowUsage(spent=0, reserved=900)
    with ledger.pool().connection() as conn:  # the pooled session keeps no tenant
        setting = conn.execute("SELECT current_setting('netrun.tenant_id', true)").fetchone()
    assert setting in {(None,), ("",)}
    ledger.close()
    # The rows really are there, each under its own tenant.
    spend = {(row[0], row[5], row[6]) for row in _rows(postgres_dsn, "netrun_llm_budget_spend")}
    assert spend == {("acme", "400", "0"), ("globex", "0", "900")}
    assert [row[0] for row in _rows(postgres_dsn, "netrun_llm_budget_reservation")] == ["globex"]


def _as_acme(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...]) -> None:
    with conn.transaction():
        conn.execute("SELECT set_config('netrun.tenant_id', 'acme', true)")
        conn.execute(query, params)


def test_one_tenants_call_cannot_touch_another_tenants_rows(
    app_dsn: str, postgres_dsn: str
) -> None:
    """The second wall: a call that writes tenant acme but names globex (a bug in the caller)
    finds none of globex's rows and may create none."""
    ledger = SQLLedger(app_dsn)
    ledger.reserve("globex", "g1", [DAY], 900, 60)
    ledger.close()
    before = (
        _rows(postgres_dsn, "netrun_llm_budget_spend"),
        _rows(postgres_dsn, "netrun_llm_budget_reservation"),
    )
    args = (["day"], [DAY.start])
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        for call, params in (
            ("netrun_llm_release(%s, %s)", ("globex", "g1")),
            ("netrun_llm_settle(%s, %s, %s, %s, %s)", ("globex", "g1", *args, 5)),
            (
                "netrun_llm_reserve(%s, %s, %s, %s, %s, %s, %s, %s)",
                ("globex", "x1", *args, [10_000], 5, 60.0, "day:2026-01-05"),
            ),
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                _as_acme(conn, f"SELECT {call}", params)
        # Reads through the table see nothing of globex either.
        with conn.transaction():
            conn.execute("SELECT set_config('netrun.tenant_id', 'acme', true)")
            assert conn.execute(
                "SELECT count(*) FROM netrun_llm_budget_reservation WHERE tenant_id = 'globex'"
            ).fetchone() == (0,)
            deleted = conn.execute(
                "DELETE FROM netrun_llm_budget_reservation WHERE id = 'g1'"
            ).rowcount
            assert deleted == 0
    after = (
        _rows(postgres_dsn, "netrun_llm_budget_spend"),
        _rows(postgres_dsn, "netrun_llm_budget_reservation"),
    )
    assert after == before
