"""The race the ledgers must win: many callers at once against a budget for exactly N calls.

Importable by spawned processes (top-level functions only).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from netrun.errors import BudgetExceededError
from netrun.llm.budgets.base import BudgetLedger
from netrun.llm.policies import PolicyEnforcer, TenantPolicy

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


def race_threads(enforcer: PolicyEnforcer, threads: int, barrier: Any = None) -> int:
    """Start ``threads`` callers together; return how many were admitted."""
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
    try:
        return race_threads(make_enforcer(ledger), threads, barrier)
    finally:
        ledger.close()


def redis_ledger(url: str) -> BudgetLedger:
    from netrun.llm.budgets.redis import RedisLedger

    return RedisLedger(url)


def sql_ledger(dsn: str) -> BudgetLedger:
    from netrun.llm.budgets.sql import SQLLedger

    return SQLLedger(dsn)
