"""Budgets by scope on every ledger (memory, Redis, PostgreSQL through psycopg as the RLS app
role, the Django ORM on PostgreSQL): a call's tenant and user/key/tag windows are held in one
atomic step, all or nothing, and 200 concurrent callers overspend none of them."""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
from collections.abc import Iterator
from decimal import Decimal

import pytest

from netrun.errors import BudgetExceededError
from netrun.llm.attribution import api_key_context, llm_tags
from netrun.llm.policy import PolicyEnforcer, ScopeBudget, TenantPolicy
from netrun.llm.policy.ledgers import BudgetLedger, MemoryLedger, Period, WindowUsage
from netrun.llm.policy.ledgers.base import (
    BudgetWindow,
    ReservationRefused,
    period_window,
    windows_for,
)
from tests.llm.policy import _concurrency as race
from tests.llm.policy.ledgers.test_sql_ledger_rls import app_dsn  # noqa: F401 - a fixture
from tests.llm.policy.scopes import _race as scope_race

NOW = dt.datetime(2026, 3, 29, 10, 30, tzinfo=dt.timezone.utc)  # Paris changes to summer time
CALLERS = 200
PROCESSES = 8


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


def assert_nothing_overspent(ledger: BudgetLedger, settled: dict[str, list[int]]) -> None:
    admitted = sum(len(settled[user]) for user in set(scope_race.USERS))
    assert admitted + len(settled["refused"]) == CALLERS
    assert settled["refused"], "the budgets must have refused some of the 200 callers"
    now = dt.datetime.now(dt.timezone.utc)
    day, _month = windows_for(now, daily_limit=None, monthly_limit=None)
    tenant = ledger.usage(race.TENANT, day)
    # Every settled cost is counted, once, in the tenant and in its user's window.
    every_cost = sum(sum(settled[user]) for user in set(scope_race.USERS))
    assert tenant == WindowUsage(spent=every_cost, reserved=0)
    assert tenant.spent <= race.COST_MICROS * scope_race.TENANT_CALLS
    for user in set(scope_race.USERS):
        window = period_window(now, "day", limit=None, scope=f"user:{user}")
        usage = ledger.usage(race.TENANT, window)
        assert usage == WindowUsage(spent=sum(settled[user]), reserved=0)
        assert usage.spent <= race.COST_MICROS * scope_race.USER_CALLS


def test_200_callers_overspend_neither_the_user_nor_the_tenant_budget(ledger: BudgetLedger) -> None:
    enforcer = PolicyEnforcer(scope_race.race_policy(), ledger=ledger)
    django = getattr(ledger, "using", None) == race.DJANGO_ALIAS
    done = race.close_django_connections if django else None
    settled = scope_race.run_callers(enforcer, range(CALLERS), done=done)
    assert_nothing_overspent(ledger, settled)


@pytest.mark.slow
@pytest.mark.parametrize("store", ["redis", "sql"])
def test_200_callers_in_8_processes_overspend_no_budget(
    store: str, request: pytest.FixtureRequest
) -> None:
    if store == "redis":
        factory = functools.partial(race.redis_ledger, request.getfixturevalue("redis_url"))
    else:
        dsn = request.getfixturevalue("postgres_dsn")
        owner = race.sql_ledger(dsn)
        owner.create_tables()  # type: ignore[attr-defined]
        owner.close()
        factory = functools.partial(race.sql_ledger, dsn)
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(PROCESSES)
    try:
        with context.Manager() as manager:
            shared = manager.Barrier(PROCESSES)
            results = pool.starmap(
                scope_race.process_main,
                [(factory, range(i, CALLERS, PROCESSES), shared) for i in range(PROCESSES)],
            )
        pool.close()
        pool.join()
    except BaseException:
        pool.terminate()
        raise
    settled: dict[str, list[int]] = {"a": [], "b": [], "refused": []}
    for result in results:
        for name, values in result.items():
            settled[name].extend(values)
    ledger = factory()
    try:
        assert_nothing_overspent(ledger, settled)
    finally:
        ledger.close()
