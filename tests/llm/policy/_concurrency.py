"""The race the ledgers must win: many callers at once against a budget for exactly N calls.

Importable by spawned processes (top-level functions only).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from netrun.errors import BudgetExceededError
from netrun.llm.policy import PolicyEnforcer, TenantPolicy
from netrun.llm.policy.ledgers.base import BudgetLedger

# gpt-4o-mini at list price: 1000 input tokens ($0.15/M) + 1000 output ($0.60/M) = $0.00075.
COST_MICROS = 750
ADMITTED = 37
BUDGET_USD = f"{COST_MICROS * ADMITTED / 1_000_000:.6f}"
TENANT = "race-tenant"


class Usage:
    input_tokens = 1000
    output_tokens = 1000


def make_enforcer(ledger: BudgetLedger) -> PolicyEnforcer:
    policy = TenantPolicy(tenant_id=TENANT, daily_budget_usd=BUDGET_USD, monthly_budget_usd=100)
    return PolicyEnforcer(policy, ledger=ledger)


def one_call(enforcer: PolicyEnforcer) -> bool:
    try:
        reservation = enforcer.reserve(
            provider="openai",
            model="gpt-4o-mini",
            estimated_input_tokens=1000,
            max_output_tokens=1000,
            reason="race",
        )
    except BudgetExceededError:
        return False
    time.sleep(0.005)  # the "call": keeps holds overlapping with the other callers' checks
    reservation.settle(Usage())
    return True


def race_threads(
    enforcer: PolicyEnforcer,
    threads: int,
    barrier: Any = None,
    thread_done: Callable[[], None] | None = None,
) -> int:
    """Start ``threads`` callers together; return how many were admitted.

    ``thread_done`` runs in each caller's thread as it ends (the Django ledger's callers
    return their connection to the pool there)."""
    start = threading.Barrier(threads)
    results: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        start.wait()
        try:
            admitted = one_call(enforcer)
        except BaseException as error:  # reported below: a thread's error must fail the test
            with lock:
                errors.append(error)
            return
        finally:
            if thread_done is not None:
                thread_done()
        with lock:
            results.append(admitted)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    if barrier is not None:
        barrier.wait()  # every process is ready: release them all at once
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError(f"{len(errors)} callers failed; first: {errors[0]!r}")
    assert len(results) == threads
    return sum(results)


def process_main(ledger_factory: Callable[[], BudgetLedger], threads: int, barrier: Any) -> int:
    ledger = ledger_factory()
    done = close_django_connections if getattr(ledger, "using", None) == DJANGO_ALIAS else None
    try:
        return race_threads(make_enforcer(ledger), threads, barrier, done)
    finally:
        ledger.close()


DJANGO_ALIAS = "budget_race"
#: Connections of one process's pool: 200 threads share them, and PostgreSQL (shared with
#: other test runs) allows 100 in all.
DJANGO_POOL_SIZE = 4


def django_database(dsn: str) -> dict[str, Any]:
    """Django settings of an alias on ``dsn``, through a psycopg pool (Django 5.1+)."""
    from urllib.parse import urlsplit

    parts = urlsplit(dsn)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {"pool": {"min_size": 1, "max_size": DJANGO_POOL_SIZE, "timeout": 120}},
        "TIME_ZONE": None,
        "TEST": {"NAME": None, "CHARSET": None, "COLLATION": None, "MIGRATE": True, "MIRROR": None},
    }


def add_django_alias(dsn: str) -> None:
    """Point :data:`DJANGO_ALIAS` at ``dsn`` (setting Django up in a spawned process)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.db import connections

    django.setup()
    connections.settings[DJANGO_ALIAS] = django_database(dsn)


def close_django_connections() -> None:
    from django.db import connections

    connections[DJANGO_ALIAS].close()  # back to the pool


def django_ledger(dsn: str) -> BudgetLedger:
    """The Django ORM ledger on PostgreSQL at ``dsn`` (already migrated)."""
    from django.db import connections

    if DJANGO_ALIAS not in connections.settings:
        add_django_alias(dsn)
    from netrun.llm.policy.ledgers.django import DjangoLedger

    return DjangoLedger(DJANGO_ALIAS)


def redis_ledger(url: str) -> BudgetLedger:
    from netrun.llm.policy.ledgers.redis import RedisLedger

    return RedisLedger(url)


def sql_ledger(dsn: str) -> BudgetLedger:
    from netrun.llm.policy.ledgers.sql import SQLLedger

    return SQLLedger(dsn)
