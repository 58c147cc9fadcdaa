"""The embedded default, DjangoLedger on a SQLite file, under the development server's
concurrency, and a settled cost that the database refused to record for a while."""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections

from netrun.llm.policy import (
    PolicyEnforcer,
    TenantPolicy,
    drain_pending_settlements,
    pending_settlements,
)
from netrun.llm.policy.ledgers import BudgetLedger, Period
from netrun.llm.types import Usage
from netrun.logging.testing import capture_logs
from tests.llm.policy import _concurrency as race

ALIAS = "budget_sqlite"
NOW = dt.datetime(2025, 12, 1, 12, tzinfo=dt.timezone.utc)


def sqlite_alias(path: Path, timeout: float) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        # Python's default busy timeout; the ledger must cope without tuning.
        "OPTIONS": {"timeout": timeout},
        "TIME_ZONE": None,
        "TEST": {"NAME": None, "CHARSET": None, "COLLATION": None, "MIGRATE": True, "MIRROR": None},
    }


@pytest.fixture
def sqlite_ledger(
    tmp_path: Path, django_db_blocker: Any, request: pytest.FixtureRequest
) -> Iterator[BudgetLedger]:
    timeout = getattr(request, "param", 5.0)
    connections.settings[ALIAS] = sqlite_alias(tmp_path / "budget.sqlite3", timeout)
    with django_db_blocker.unblock():
        try:
            call_command("migrate", "netrun_llm", database=ALIAS, verbosity=0)
            connections[ALIAS].close()
            from netrun.llm.policy.ledgers.django import DjangoLedger

            yield DjangoLedger(ALIAS)
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]


def close_connection() -> None:
    connections[ALIAS].close()


def test_eighty_concurrent_callers_on_sqlite_get_answers_not_locks(
    sqlite_ledger: BudgetLedger,
) -> None:
    # 80 threads, each with its own SQLite connection, as runserver's threads have: every
    # caller is admitted or refused by the budget (none fails on "database is locked"),
    # exactly the budget's 37 calls are admitted and every one of them is recorded.
    admitted = race.race_threads(
        race.make_enforcer(sqlite_ledger), 80, thread_done=close_connection
    )
    assert admitted == race.ADMITTED
    enforcer = race.make_enforcer(sqlite_ledger)
    day = next(w for w in enforcer._current_windows() if w.period is Period.DAY)
    usage = sqlite_ledger.usage(race.TENANT, day)
    assert usage.reserved == 0
    assert usage.spent == race.ADMITTED * race.COST_MICROS


@pytest.mark.parametrize("sqlite_ledger", [0.05], indirect=True)
def test_a_cost_the_database_refused_is_written_by_the_next_request(
    sqlite_ledger: BudgetLedger, tmp_path: Path
) -> None:
    sqlite_ledger.LOCKED_ATTEMPTS = 2  # type: ignore[attr-defined]
    policy = TenantPolicy("acme", daily_budget_usd=1)
    enforcer = PolicyEnforcer(policy, ledger=sqlite_ledger, clock=lambda: NOW)
    reservation = enforcer.reserve(
        provider="openai", model="gpt-4o-mini", estimated_input_tokens=1000, max_output_tokens=10
    )
    day = next(w for w in reservation.windows if w.period is Period.DAY)
    # Another process holds SQLite's write lock for longer than the busy timeout.
    blocker = sqlite3.connect(tmp_path / "budget.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with capture_logs() as logs:
            reservation.settle(Usage(input_tokens=1000, output_tokens=10))  # the call happened
        assert [line["event"] for line in logs].count("llm_budget_settle_failed") == 1
        assert pending_settlements() == 1
        assert drain_pending_settlements() == 1  # still locked: kept, not dropped
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    connections[ALIAS].close()
    # The next request of any enforcer writes the pending cost before it reserves.
    later = PolicyEnforcer(policy, ledger=sqlite_ledger, clock=lambda: NOW)
    with capture_logs() as logs:
        later.reserve(
            provider="openai", model="gpt-4o-mini", estimated_input_tokens=1, max_output_tokens=1
        ).release()
    assert "llm_budget_settle_recovered" in [line["event"] for line in logs]
    assert pending_settlements() == 0
    usage = sqlite_ledger.usage("acme", day)
    # 1000 x $0.15/M + 10 x $0.60/M = 156 micro-dollars, charged once; the hold is gone.
    assert (usage.spent, usage.reserved) == (1000 * 0.15 + 10 * 0.60, 0)


@pytest.mark.parametrize("sqlite_ledger", [0.05], indirect=True)
def test_the_outbox_is_written_by_the_next_settlement_and_reported_at_exit(
    sqlite_ledger: BudgetLedger, tmp_path: Path
) -> None:
    from netrun.llm.policy import reservation

    sqlite_ledger.LOCKED_ATTEMPTS = 1  # type: ignore[attr-defined]
    policy = TenantPolicy("acme", daily_budget_usd=1)
    enforcer = PolicyEnforcer(policy, ledger=sqlite_ledger, clock=lambda: NOW)
    first, second = (
        enforcer.reserve(
            provider="openai", model="gpt-4o-mini", estimated_input_tokens=100, max_output_tokens=1
        )
        for _ in range(2)
    )
    day = next(w for w in first.windows if w.period is Period.DAY)
    blocker = sqlite3.connect(tmp_path / "budget.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        first.settle(Usage(input_tokens=100, output_tokens=1))
        # At exit, a ledger still down: the pending cost is named in the log, not dropped
        # silently (the process is going away; the line is what an operator reconciles).
        with capture_logs() as logs:
            reservation._outbox.drain_at_exit()
        lost = [line for line in logs if line["event"] == "llm_budget_settle_lost"]
        assert [(line["tenant_id"], line["actual_micros"]) for line in lost] == [("acme", 16)]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    connections[ALIAS].close()
    # The next successful settlement writes what waited before it.
    second.settle(Usage(input_tokens=100, output_tokens=1))
    assert pending_settlements() == 0
    # Each: 100 x $0.15/M + 1 x $0.60/M = 15.6 micro-dollars, rounded up to 16.
    assert sqlite_ledger.usage("acme", day).spent == 2 * math.ceil(100 * 0.15 + 1 * 0.60)
