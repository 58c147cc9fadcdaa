"""200 concurrent callers against a budget for exactly 37 calls: exactly 37 are admitted and
the spend never passes the budget, for every ledger (memory, Redis, PostgreSQL through
psycopg, and the Django ORM on PostgreSQL), with threads and with processes."""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Iterator

import pytest

from netrun.llm.budgets import MemoryLedger, Period
from netrun.llm.budgets.base import BudgetLedger
from tests.llm.policies import _concurrency as race

CALLERS = 200
PROCESSES = 8


def assert_exact(ledger: BudgetLedger, admitted: int) -> None:
    enforcer = race.make_enforcer(ledger)
    assert admitted == race.ADMITTED
    day = next(w for w in enforcer._current_windows() if w.period is Period.DAY)
    usage = ledger.usage(race.TENANT, day)
    assert usage.reserved == 0
    assert usage.spent == race.ADMITTED * race.COST_MICROS
    assert usage.spent <= day.limit  # type: ignore[operator]


def race_processes(factory: functools.partial[BudgetLedger]) -> int:
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(PROCESSES)
    try:
        # A Pool's task arguments are pickled; a Manager barrier pickles, a plain one does not.
        with context.Manager() as manager:
            shared = manager.Barrier(PROCESSES)
            results = pool.starmap(
                race.process_main,
                [(factory, CALLERS // PROCESSES, shared) for _ in range(PROCESSES)],
            )
        # Workers leave on their own: Pool.__exit__ would SIGTERM them, and a worker killed
        # while it holds the task queue's lock can leave another waiting on it forever.
        pool.close()
        pool.join()
    except BaseException:
        pool.terminate()
        raise
    return sum(results)


def test_memory_ledger_threads() -> None:
    ledger = MemoryLedger()
    admitted = race.race_threads(race.make_enforcer(ledger), CALLERS)
    assert_exact(ledger, admitted)


@pytest.fixture
def sql_ledger(postgres_dsn: str) -> Iterator[BudgetLedger]:
    ledger = race.sql_ledger(postgres_dsn)
    ledger.create_tables()  # type: ignore[attr-defined]
    yield ledger
    ledger.close()


def test_redis_ledger_threads(redis_url: str) -> None:
    ledger = race.redis_ledger(redis_url)
    admitted = race.race_threads(race.make_enforcer(ledger), CALLERS)
    assert_exact(ledger, admitted)


@pytest.mark.slow
def test_redis_ledger_processes(redis_url: str) -> None:
    admitted = race_processes(functools.partial(race.redis_ledger, redis_url))
    assert_exact(race.redis_ledger(redis_url), admitted)


def test_sql_ledger_threads(sql_ledger: BudgetLedger) -> None:
    admitted = race.race_threads(race.make_enforcer(sql_ledger), CALLERS)
    assert_exact(sql_ledger, admitted)


@pytest.mark.slow
def test_sql_ledger_processes(sql_ledger: BudgetLedger, postgres_dsn: str) -> None:
    admitted = race_processes(functools.partial(race.sql_ledger, postgres_dsn))
    assert_exact(sql_ledger, admitted)


def test_django_ledger_postgres(django_pg: BudgetLedger) -> None:
    # 200 threads, each with its own Django connection (from a pool of 8) and transaction:
    # only SELECT ... FOR UPDATE on the tenant's account row keeps them from overspending.
    admitted = race.race_threads(
        race.make_enforcer(django_pg), CALLERS, thread_done=race.close_django_connections
    )
    assert_exact(django_pg, admitted)


@pytest.mark.slow
def test_django_ledger_postgres_processes(django_pg: BudgetLedger, postgres_dsn: str) -> None:
    admitted = race_processes(functools.partial(race.django_ledger, postgres_dsn))
    assert_exact(django_pg, admitted)
