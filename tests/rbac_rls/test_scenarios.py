"""Isolation on the real PostgreSQL, as a NOSUPERUSER NOBYPASSRLS NOINHERIT app role."""

from __future__ import annotations

import pytest

from tests._pgbouncer import PgBouncer
from tests.rbac_rls.conftest import RLSEnv

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

NAMES = [
    "nested_integrity_error",
    "get_or_create_race",
    "requests",
    "async_requests",
    "tasks",
    "failed_transaction",
    "writes_into_other_tenant",
    "m2m",
    "cross_tenant_context",
]


@pytest.fixture(scope="module")
def seeded(rls_env: RLSEnv) -> RLSEnv:
    rls_env.run("-m", "tests.rbac_rls.scenarios", "seed")
    return rls_env


def test_no_leak_with_persistent_connections(seeded: RLSEnv) -> None:
    result = seeded.run("-m", "tests.rbac_rls.scenarios", *NAMES)
    assert result.stdout.split() == [w for n in NAMES for w in ("PASS", n)]


def test_no_leak_with_djangos_native_pool(seeded: RLSEnv) -> None:
    result = seeded.run("-m", "tests.rbac_rls.scenarios", *NAMES, pool=True)
    assert result.stdout.count("PASS") == len(NAMES)


def test_rls_check_passes_a_correct_setup(seeded: RLSEnv) -> None:
    result = seeded.manage("netrun_rls_check")
    assert "RLS OK on 'default'" in result.stdout
    checked = seeded.manage("check", "--database", "default")
    assert "E1" not in checked.stderr + checked.stdout


def test_rls_migrations_are_up_to_date(seeded: RLSEnv) -> None:
    result = seeded.manage("netrun_rls_migrations", "rlsapp", "--check")
    assert "No RLS changes in rlsapp" in result.stdout


@pytest.mark.parametrize("scope", ["transaction", "session"])
def test_no_leak_through_pgbouncer_in_transaction_mode(
    seeded: RLSEnv, pgbouncer: PgBouncer, scope: str
) -> None:
    """The attack suite through a real PgBouncer (transaction pooling, 2 server
    connections): transaction scope, and session scope with its pooler check."""
    result = seeded.run(
        "-m", "tests.rbac_rls.scenarios", *NAMES, extra=seeded.through(pgbouncer, scope=scope)
    )
    assert result.stdout.split() == [w for n in NAMES for w in ("PASS", n)]


def test_transaction_scope_straight_to_postgresql(seeded: RLSEnv) -> None:
    """Transaction scope without a pooler: the attack suite, and the scope's own rules."""
    names = [*NAMES, "transaction_scope"]
    result = seeded.run(
        "-m", "tests.rbac_rls.scenarios", *names, extra={"NETRUN_RLS_SCOPE": "transaction"}
    )
    assert result.stdout.split() == [w for n in names for w in ("PASS", n)]


def test_transaction_scope_through_pgbouncer_keeps_its_rules(
    seeded: RLSEnv, pgbouncer: PgBouncer
) -> None:
    extra = seeded.through(pgbouncer, scope="transaction")
    result = seeded.run("-m", "tests.rbac_rls.scenarios", "transaction_scope", extra=extra)
    assert result.stdout.split() == ["PASS", "transaction_scope"]


def test_session_scope_that_always_reads_back(seeded: RLSEnv) -> None:
    """NETRUN_RBAC_TENANT_SESSION_CHECK = "always": the suite passes with the read-back."""
    result = seeded.run(
        "-m", "tests.rbac_rls.scenarios", *NAMES, extra={"NETRUN_RLS_SESSION_CHECK": "always"}
    )
    assert result.stdout.split() == [w for n in NAMES for w in ("PASS", n)]
