"""Callers racing for one tenant budget and the budgets of its users (importable by spawned
processes: top-level functions only)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from netrun.errors import BudgetExceededError
from netrun.llm.policy import PolicyEnforcer, ScopeBudget, TenantPolicy
from netrun.llm.policy.ledgers import BudgetLedger, to_micros
from tests.llm.policy import _concurrency as race

USER_CALLS = 20  # each user's budget, in worst-case holds; the tenant's is for 35
TENANT_CALLS = 35
USERS = ("a", "a", "a", "b")  # three callers in four are user a's: both budgets bind


def race_policy() -> TenantPolicy:
    return TenantPolicy(
        race.TENANT,
        daily_budget_usd=Decimal(race.COST_MICROS * TENANT_CALLS) / 1_000_000,
        scope_budgets=(
            ScopeBudget("user", None, Decimal(race.COST_MICROS * USER_CALLS) / 1_000_000, "day"),
        ),
    )


class Usage:
    """A little under the hold (738 to 750 micro-dollars): each caller settles its own cost."""

    def __init__(self, index: int) -> None:
        self.input_tokens = 1000
        self.output_tokens = 1000 - index % 3 * 10


def run_callers(
    enforcer: PolicyEnforcer,
    indexes: Sequence[int],
    barrier: Any = None,
    done: Callable[[], None] | None = None,
) -> dict[str, list[int]]:
    """One thread per index, started together; returns the settled micro-dollars per user
    and the refusals (``"refused"``)."""
    start = threading.Barrier(len(indexes))
    settled: dict[str, list[int]] = {"a": [], "b": [], "refused": []}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        user = USERS[index % len(USERS)]
        start.wait()
        try:
            try:
                reservation = enforcer.reserve(
                    provider="openai",
                    model="gpt-4o-mini",
                    estimated_input_tokens=1000,
                    max_output_tokens=1000,
                    user_id=user,
                )
            except BudgetExceededError:
                with lock:
                    settled["refused"].append(index)
                return
            reservation.settle(Usage(index))
            assert reservation.cost is not None
            with lock:
                settled[user].append(to_micros(reservation.cost))
        except BaseException as error:  # reported below: a thread's error must fail the test
            with lock:
                errors.append(error)
        finally:
            if done is not None:
                done()

    workers = [threading.Thread(target=run, args=(i,)) for i in indexes]
    if barrier is not None:
        barrier.wait()  # every process is ready: release them all at once
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError(f"{len(errors)} callers failed; first: {errors[0]!r}")
    return settled


def process_main(
    ledger_factory: Callable[[], BudgetLedger], indexes: Sequence[int], barrier: Any
) -> dict[str, list[int]]:
    ledger = ledger_factory()
    try:
        return run_callers(PolicyEnforcer(race_policy(), ledger=ledger), indexes, barrier)
    finally:
        ledger.close()
