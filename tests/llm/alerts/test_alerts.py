"""The framework-neutral core: thresholds reached exactly, each fired once per window, again
in a new period, on settled spend only (a hold never fires an alert)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from netrun.llm.policy import PolicyEnforcer, TenantPolicy
from netrun.llm.policy.alerts import (
    AlertEvaluator,
    BudgetAlertEvent,
    MemoryAlertStore,
    add_spend_watcher,
    crossed_thresholds,
    remove_spend_watcher,
    spend_watchers,
    threshold_problem,
    window_scope,
)
from netrun.llm.policy.ledgers import BudgetWindow, MemoryLedger, windows_for
from netrun.logging.testing import capture_logs

# gpt-4o-mini at list price: 1000 input tokens ($0.15/M) + 1000 output ($0.60/M) = $0.00075.
COST = 750
TENANT = "alerting-tenant"


class Usage:
    input_tokens = 1000
    output_tokens = 1000


def day_window(day: dt.date, limit: int = 1000) -> object:
    now = dt.datetime.combine(day, dt.time(12), dt.timezone.utc)
    return windows_for(now, daily_limit=limit, monthly_limit=None)[0]


def test_a_threshold_is_reached_at_exactly_its_share_of_the_limit() -> None:
    assert crossed_thresholds(499, 1000, (50, 80, 100)) == []
    assert crossed_thresholds(500, 1000, (50, 80, 100)) == [50]
    assert crossed_thresholds(799, 1000, (100, 80, 50)) == [50]
    assert crossed_thresholds(800, 1000, (50, 80, 100)) == [50, 80]
    assert crossed_thresholds(1000, 1000, (50, 80, 100)) == [50, 80, 100]
    assert crossed_thresholds(1200, 1000, (50, 120, 150)) == [50, 120]
    # A third of 1 micro-dollar: integers, no float rounding, no threshold reached early.
    assert crossed_thresholds(1, 3, (33, 34)) == [33]
    assert crossed_thresholds(0, 0, (50,)) == [50]


def test_bad_thresholds_are_named() -> None:
    assert threshold_problem([50, 80, 100]) is None
    assert threshold_problem(()) is None
    assert threshold_problem("50,80") is not None
    assert threshold_problem([50, 0]) == "0 is outside 1..1000"
    assert threshold_problem([50.5]) == "50.5 is not a whole percentage"
    assert threshold_problem([True]) == "True is not a whole percentage"
    assert threshold_problem(80) is not None


def test_each_threshold_fires_once_per_window_and_again_in_a_new_period() -> None:
    fired: list[BudgetAlertEvent] = []
    evaluator = AlertEvaluator(MemoryAlertStore(), notify=fired.append)
    monday = day_window(dt.date(2026, 12, 7))
    tuesday = day_window(dt.date(2026, 12, 8))

    assert evaluator.evaluate(TENANT, monday, 400) == []  # type: ignore[arg-type]
    first = evaluator.evaluate(TENANT, monday, 850)  # type: ignore[arg-type]
    assert [event.threshold for event in first] == [50, 80]
    assert evaluator.evaluate(TENANT, monday, 900) == []  # type: ignore[arg-type]
    assert [e.threshold for e in evaluator.evaluate(TENANT, monday, 1000)] == [100]  # type: ignore[arg-type]
    assert [e.threshold for e in evaluator.evaluate(TENANT, tuesday, 1000)] == [50, 80, 100]  # type: ignore[arg-type]
    # Another tenant's window of the same day is its own.
    assert len(evaluator.evaluate("other", monday, 1000)) == 3  # type: ignore[arg-type]

    assert [(e.period_start.day, e.threshold) for e in fired[:6]] == [
        (7, 50),
        (7, 80),
        (7, 100),
        (8, 50),
        (8, 80),
        (8, 100),
    ]
    assert all(event.alert_id for event in fired)
    assert len({event.alert_id for event in fired}) == len(fired) == 9
    event = fired[0]
    assert (event.scope, event.period, event.window_key) == ("tenant", "day", "day:2026-12-07")
    assert (event.spent_usd, event.limit_usd) == (Decimal("0.00085"), Decimal("0.001"))


def test_a_second_evaluator_on_the_same_store_never_fires_what_the_first_did() -> None:
    # Two processes share a store: only the claimant notifies, whichever asks first.
    store = MemoryAlertStore()
    fired: list[int] = []
    first = AlertEvaluator(store, notify=lambda event: fired.append(event.threshold))
    second = AlertEvaluator(store, notify=lambda event: fired.append(-event.threshold))
    window = day_window(dt.date(2026, 12, 7))
    first.evaluate(TENANT, window, 600)  # type: ignore[arg-type]
    second.evaluate(TENANT, window, 1000)  # type: ignore[arg-type]
    first.evaluate(TENANT, window, 1000)  # type: ignore[arg-type]
    assert fired == [50, -80, -100]
    assert len(store.events) == 3


def test_thresholds_per_scope_come_from_the_source_function() -> None:
    seen: list[str] = []

    def thresholds(tenant_id: str, window: object) -> tuple[int, ...]:
        seen.append(window_scope(window))  # type: ignore[arg-type]
        return (90,)

    evaluator = AlertEvaluator(MemoryAlertStore(), thresholds=thresholds)
    window = day_window(dt.date(2026, 12, 7))
    assert [e.threshold for e in evaluator.evaluate(TENANT, window, 950)] == [90]  # type: ignore[arg-type]
    assert seen == ["tenant"]
    assert not AlertEvaluator(MemoryAlertStore(), thresholds=()).watches(TENANT, window)  # type: ignore[arg-type]


@pytest.fixture
def watched() -> Iterator[tuple[AlertEvaluator, list[BudgetAlertEvent]]]:
    fired: list[BudgetAlertEvent] = []
    evaluator = AlertEvaluator(MemoryAlertStore(), notify=fired.append)
    add_spend_watcher(evaluator)
    try:
        yield evaluator, fired
    finally:
        remove_spend_watcher(evaluator)
    assert evaluator not in spend_watchers()


def test_settled_spend_fires_through_every_enforcer_holds_never_do(
    watched: tuple[AlertEvaluator, list[BudgetAlertEvent]],
) -> None:
    _, fired = watched
    # A day budget for exactly 4 calls: 50 % after the 2nd, 80 % and 100 % after the 4th.
    policy = TenantPolicy(tenant_id=TENANT, daily_budget_usd="0.003")
    enforcer = PolicyEnforcer(policy, ledger=MemoryLedger())

    def reserve() -> object:
        return enforcer.reserve(
            provider="openai",
            model="gpt-4o-mini",
            estimated_input_tokens=1000,
            max_output_tokens=1000,
            reason="alerts",
        )

    thresholds_after: list[list[int]] = []
    with capture_logs() as logs:
        for _ in range(4):
            held = reserve()
            # Held, not settled: 3 holds of 4 would be past 50 %, yet nothing fires.
            thresholds_after.append([event.threshold for event in fired])
            held.settle(Usage())  # type: ignore[attr-defined]
    assert thresholds_after == [[], [], [50], [50]]
    assert [event.threshold for event in fired] == [50, 80, 100]
    assert [event.spent for event in fired] == [2 * COST, 4 * COST, 4 * COST]
    alerts = [entry for entry in logs if entry["event"] == "llm_budget_alert"]
    assert [(entry["threshold"], entry["log_level"]) for entry in alerts] == [
        (50, "warning"),
        (80, "warning"),
        (100, "warning"),
    ]
    assert alerts[0]["tenant_id"] == TENANT
    assert alerts[0]["scope"] == "tenant"
    assert alerts[0]["period"] == "day"
    assert alerts[0]["spent_usd"] == "0.0015"
    assert alerts[0]["limit_usd"] == "0.003"


def test_a_failing_store_is_logged_and_never_fails_the_call() -> None:
    class DownStore(MemoryAlertStore):
        def claim(self, event: BudgetAlertEvent) -> str | None:
            raise ConnectionError("alert store down")

    evaluator = AlertEvaluator(DownStore())
    add_spend_watcher(evaluator)
    try:
        policy = TenantPolicy(tenant_id=TENANT, daily_budget_usd="0.001")
        enforcer = PolicyEnforcer(policy, ledger=MemoryLedger())
        with capture_logs() as logs:
            enforcer.reserve(
                provider="openai",
                model="gpt-4o-mini",
                estimated_input_tokens=1000,
                max_output_tokens=1000,
                reason="alerts",
            ).settle(Usage())
    finally:
        remove_spend_watcher(evaluator)
    failures = [entry for entry in logs if entry["event"] == "llm_budget_alert_failed"]
    assert len(failures) == 1
    assert failures[0]["error"] == "ConnectionError: alert store down"
    assert failures[0]["window"].startswith("day:")


def test_a_scope_budget_fires_its_own_thresholds_in_its_own_window() -> None:
    from netrun.llm.attribution import llm_tags
    from netrun.llm.policy.scopes import ScopeBudget

    # The tag's budget holds 2 calls and alerts at 50 % (its own); the tenant's holds 10.
    tag_budget = ScopeBudget("tag", "summary", Decimal("0.0015"), "day", alert_thresholds=(50,))

    def thresholds(tenant_id: str, window: BudgetWindow) -> tuple[int, ...]:
        if window.scope == "tenant":
            return (50, 80, 100)
        return tag_budget.alert_thresholds or ()

    fired: list[BudgetAlertEvent] = []
    evaluator = AlertEvaluator(MemoryAlertStore(), thresholds=thresholds, notify=fired.append)
    policy = TenantPolicy(tenant_id=TENANT, daily_budget_usd="0.0075", scope_budgets=(tag_budget,))
    enforcer = PolicyEnforcer(policy, ledger=MemoryLedger())
    add_spend_watcher(evaluator)
    try:
        with llm_tags("summary"):
            for _ in range(2):
                enforcer.reserve(
                    provider="openai",
                    model="gpt-4o-mini",
                    estimated_input_tokens=1000,
                    max_output_tokens=1000,
                    reason="alerts",
                ).settle(Usage())
    finally:
        remove_spend_watcher(evaluator)
    # 50 % of the tag's budget after the first call; the tenant's 20 % fires nothing.
    assert [(event.scope, event.threshold) for event in fired] == [("tag:summary", 50)]
    assert fired[0].window_key.startswith("tag:summary/day:")
    assert (fired[0].spent, fired[0].limit) == (COST, 2 * COST)
