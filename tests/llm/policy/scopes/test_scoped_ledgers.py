"""Budgets by scope on every ledger (memory, Redis, PostgreSQL through psycopg as the RLS app
role, the Django ORM on PostgreSQL): a call's tenant and user/key/tag windows are held in one
atomic step, all or nothing, and 200 concurrent callers overspend none of them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest

from netrun.errors import BudgetExceededError
from netrun.llm.attribution import api_key_context, llm_tags
from netrun.llm.policy import PolicyEnforcer, ScopeBudget, TenantPolicy
from netrun.llm.policy.ledgers import BudgetLedger, MemoryLedger, Period, WindowUsage, to_micros
from netrun.llm.policy.ledgers.base import (
    BudgetWindow,
    ReservationRefused,
    period_window,
    windows_for,
)
from tests.llm.policy import _concurrency as race
from tests.llm.policy.ledgers.test_sql_ledger_rls import app_dsn  # noqa: F401 - a fixture

NOW = dt.datetime(2026, 3, 29, 10, 30, tzinfo=dt.timezone.utc)  # Paris changes to summer time
CALLERS = 200


@pytest.fixture(params=["memory", "redis", "sql", "django_postgres"])
def ledger(request: pytest.FixtureRequest) -> Iterator[BudgetLedger]:
    if request.param == "memory":
        yield MemoryLedger()
        return
    if request.param == "django_postgres":
        yield request.getfixturevalue("django_pg")  # the fixture closes it
        return
    if request.param == "redis":
        from netrun.llm.policy.ledgers.redis import RedisLedger

        built: BudgetLedger = RedisLedger(request.getfixturevalue("redis_url"))
    else:
        from netrun.llm.policy.ledgers.sql import SQLLedger

        # The app role (NOSUPERUSER NOBYPASSRLS) on tables the owner created, RLS enabled.
        built = SQLLedger(request.getfixturevalue("app_dsn"), max_connections=8)
    yield built
    built.close()


def tenant_windows(
    daily: int | None = 10_000, monthly: int | None = 50_000
) -> tuple[BudgetWindow, ...]:
    return windows_for(NOW, daily_limit=daily, monthly_limit=monthly, timezone="Europe/Paris")


def scoped(scope: str, period: str, limit: int | None, hours: int | None = None) -> BudgetWindow:
    return period_window(
        NOW, period, limit=limit, timezone="Europe/Paris", scope=scope, hours=hours
    )


def test_a_refusing_user_budget_holds_nothing_in_any_window(ledger: BudgetLedger) -> None:
    day, month = tenant_windows()
    user_day = scoped("user:42", "day", 1_000)
    tag_week = scoped("tag:summary", "week", 5_000)
    key_hours = scoped("key:svc", "hours", 3_000, hours=5)
    windows = (day, month, tag_week, key_hours, user_day)  # the refusing window comes last
    ledger.reserve("t1", "r1", windows, 800, ttl=60)
    with pytest.raises(ReservationRefused) as refused:
        ledger.reserve("t1", "r2", windows, 300, ttl=60)
    assert refused.value.scope == "user:42"
    assert refused.value.period is Period.DAY
    assert refused.value.usage == WindowUsage(spent=0, reserved=800)
    for window in windows:  # r2 left no hold in any window, the tenant's included
        assert ledger.usage("t1", window) == WindowUsage(spent=0, reserved=800)
    # Another user of the same tenant is not refused by user 42's budget.
    other = scoped("user:43", "day", 1_000)
    ledger.reserve("t1", "r3", (day, month, other), 300, ttl=60)
    assert ledger.usage("t1", day).reserved == 1_100
    assert ledger.usage("t1", user_day).reserved == 800


def test_settle_and_release_cover_every_scope_window(ledger: BudgetLedger) -> None:
    windows = (
        *tenant_windows(),
        scoped("user:42", "day", 1_000),
        scoped("tag:summary", "week", None),
        scoped("key:svc@prod", "month", 4_000),
        scoped("tag:summary", "hours", 2_000, hours=5),
    )
    ledger.reserve("t1", "r1", windows, 900, ttl=60)
    ledger.settle("t1", "r1", windows, 250)
    ledger.reserve("t1", "r2", windows, 700, ttl=60)
    ledger.release("t1", "r2")
    ledger.release("t1", "r2")
    for window in windows:
        assert ledger.usage("t1", window) == WindowUsage(spent=250, reserved=0), window.key
    # Scope windows are per tenant: the same user in another tenant has spent nothing.
    assert ledger.usage("t2", windows[2]) == WindowUsage()


def test_windows_of_different_periods_and_hours_are_separate(ledger: BudgetLedger) -> None:
    five = scoped("user:42", "hours", 1_000, hours=5)
    three = scoped("user:42", "hours", 1_000, hours=3)
    week = scoped("user:42", "week", 1_000)
    ledger.reserve("t1", "r1", (five,), 1_000, ttl=60)
    ledger.reserve("t1", "r2", (three, week), 1_000, ttl=60)
    with pytest.raises(ReservationRefused) as refused:
        ledger.reserve("t1", "r3", (three,), 1, ttl=60)
    assert refused.value.window.hours == 3
    assert ledger.usage("t1", week).reserved == 1_000


# ------------------------------------------------------------------ through the enforcer


def policy(**budgets: object) -> TenantPolicy:
    return TenantPolicy(
        "t1",
        daily_budget_usd=Decimal("10"),
        monthly_budget_usd=Decimal("100"),
        timezone="Europe/Paris",
        scope_budgets=(
            ScopeBudget("user", None, Decimal("0.002"), "day"),
            ScopeBudget("key", "svc", Decimal("1"), "month"),
            ScopeBudget("tag", "summary", Decimal("1"), "week"),
        ),
    )


def test_the_enforcer_names_the_refusing_scope_and_its_reset(ledger: BudgetLedger) -> None:
    enforcer = PolicyEnforcer(policy(), ledger=ledger, clock=lambda: NOW)
    call = {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "estimated_input_tokens": 1000,
        "max_output_tokens": 1000,
    }  # 750 micro-dollars
    with api_key_context("svc"), llm_tags("summary"):
        held = [enforcer.reserve(**call, user_id="42") for _ in range(2)]  # type: ignore[arg-type]
        scopes = {window.scope for window in held[0].windows}
        assert scopes == {"tenant", "user:42", "key:svc", "tag:summary"}
        with pytest.raises(BudgetExceededError) as refused:
            enforcer.reserve(**call, user_id="42")  # type: ignore[arg-type]
    error = refused.value
    assert error.status_code == 429
    assert error.details["scope"] == "user:42"
    assert error.details["period"] == "day"
    assert error.details["rule"] == "scope_budget"
    # Retry-After: until midnight in Paris, the day of the DST change (22:00 UTC).
    assert error.retry_after == int(
        (dt.datetime(2026, 3, 29, 22, tzinfo=dt.timezone.utc) - NOW).total_seconds()
    )
    tenant_day = held[0].windows[0]
    assert tenant_day.scope == "tenant"
    assert ledger.usage("t1", tenant_day).reserved == 1_500  # the refused call held nothing
    held[0].settle(race.Usage())
    held[1].release()
    for window in held[0].windows:
        assert ledger.usage("t1", window) == WindowUsage(spent=750, reserved=0), window.key
    # Without a user there is no user window; the tenant budget still applies.
    anonymous = enforcer.reserve(**call)  # type: ignore[arg-type]
    assert {w.scope for w in anonymous.windows} == {"tenant"}
    anonymous.release()


def test_without_scope_budgets_a_call_holds_the_tenant_windows_only(ledger: BudgetLedger) -> None:
    plain = TenantPolicy("t1", daily_budget_usd=Decimal("10"))
    enforcer = PolicyEnforcer(plain, ledger=ledger, clock=lambda: NOW)
    with llm_tags("summary"):
        held = enforcer.reserve(
            provider="openai", model="gpt-4o-mini", max_output_tokens=10, user_id="42"
        )
    assert [w.key for w in held.windows] == ["day:2026-03-29", "month:2026-03-01"]
    held.release()


# ------------------------------------------------------------------ 200 callers at once

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


class _Usage:
    """A little under the hold (738 to 750 micro-dollars): each caller settles its own cost."""

    def __init__(self, index: int) -> None:
        self.input_tokens = 1000
        self.output_tokens = 1000 - index % 3 * 10


def _race(enforcer: PolicyEnforcer, done: Callable[[], None] | None) -> dict[str, list[int]]:
    start = threading.Barrier(CALLERS)
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
            except BudgetExceededError as refused:
                with lock:
                    settled["refused"].append(1 if refused.details.get("scope") else 0)
                return
            reservation.settle(_Usage(index))
            with lock:
                assert reservation.cost is not None
                settled[user].append(to_micros(reservation.cost))
        except BaseException as error:  # reported below: a thread's error must fail the test
            with lock:
                errors.append(error)
        finally:
            if done is not None:
                done()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(CALLERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError(f"{len(errors)} callers failed; first: {errors[0]!r}")
    return settled


def test_200_callers_overspend_neither_the_user_nor_the_tenant_budget(ledger: BudgetLedger) -> None:
    enforcer = PolicyEnforcer(race_policy(), ledger=ledger)
    done = (
        race.close_django_connections
        if getattr(ledger, "using", None) == race.DJANGO_ALIAS
        else None
    )
    settled = _race(enforcer, done)
    admitted = sum(len(settled[user]) for user in set(USERS))
    assert admitted + len(settled["refused"]) == CALLERS
    assert settled["refused"], "the budgets must have refused some of the 200 callers"
    now = dt.datetime.now(dt.timezone.utc)
    day, _month = windows_for(now, daily_limit=None, monthly_limit=None)
    tenant = ledger.usage(race.TENANT, day)
    # Every settled cost is counted, once, in the tenant and in its user's window.
    assert tenant == WindowUsage(spent=sum(sum(settled[user]) for user in set(USERS)), reserved=0)
    assert tenant.spent <= race.COST_MICROS * TENANT_CALLS
    for user in set(USERS):
        window = period_window(now, "day", limit=None, scope=f"user:{user}")
        usage = ledger.usage(race.TENANT, window)
        assert usage == WindowUsage(spent=sum(settled[user]), reserved=0)
        assert usage.spent <= race.COST_MICROS * USER_CALLS
