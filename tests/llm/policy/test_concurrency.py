"""200 concurrent callers against a budget for exactly 37 calls: exactly 37 are admitted and
the spend never passes the budget, for every ledger (memory, Redis, PostgreSQL through
psycopg, and the Django ORM on PostgreSQL), with threads and with processes."""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest

from netrun.llm.policy.ledgers import MemoryLedger, Period
from netrun.llm.policy.ledgers.base import BudgetLedger
from tests.llm.policy import _concurrency as race

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


def test_django_ledger_creates_a_tenant_account_without_a_failing_statement(
    django_pg: BudgetLedger,
) -> None:
    # The first calls of a new tenant race to create its account row. A failed INSERT
    # (IntegrityError, caught) aborts the transaction on PostgreSQL until a savepoint is
    # rolled back, which any savepoint bug turns into a 503: no statement may fail at all.
    import datetime as dt
    import threading
    import uuid

    from django.db import connections

    from netrun.llm.models import BudgetAccount
    from netrun.llm.policy.ledgers import windows_for

    failed: list[BaseException] = []
    lock = threading.Lock()

    def record_failures(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        try:
            return execute(sql, params, many, context)
        except Exception as error:
            with lock:
                failed.append(error)
            raise

    windows = windows_for(dt.datetime.now(dt.timezone.utc), daily_limit=None, monthly_limit=None)
    callers = 24
    start = threading.Barrier(callers)

    def first_call() -> None:
        connection = connections[race.DJANGO_ALIAS]
        try:
            with connection.execute_wrapper(record_failures):
                start.wait()
                django_pg.reserve("fresh-tenant", uuid.uuid4().hex, windows, 1, 60)
        except BaseException as error:
            with lock:
                failed.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first_call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    accounts = BudgetAccount.objects.using(race.DJANGO_ALIAS).filter(tenant_id="fresh-tenant")
    assert accounts.count() == 1
    assert django_pg.usage("fresh-tenant", windows[0]).reserved == callers
