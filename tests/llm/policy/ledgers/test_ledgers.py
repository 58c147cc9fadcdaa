"""The ledger contract, the same tests on every ledger: memory, Redis, PostgreSQL (psycopg)
and the Django ORM on SQLite and on PostgreSQL (whose race is
test_concurrency.py::test_django_ledger_postgres)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest

from netrun.llm.policy.ledgers import (
    BudgetLedger,
    MemoryLedger,
    Period,
    ReservationRefused,
    WindowUsage,
    from_micros,
    to_micros,
    windows_for,
)

NOW = dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(
    params=[
        "memory",
        "redis",
        "sql",
        pytest.param("django", marks=pytest.mark.django_db(transaction=True)),
        "django_postgres",
    ]
)
def ledger(request: pytest.FixtureRequest) -> Iterator[BudgetLedger]:
    if request.param == "memory":
        yield MemoryLedger()
        return
    if request.param == "redis":
        from netrun.llm.policy.ledgers.redis import RedisLedger

        built: BudgetLedger = RedisLedger(request.getfixturevalue("redis_url"))
    elif request.param == "sql":
        from netrun.llm.policy.ledgers.sql import SQLLedger

        sql = SQLLedger(request.getfixturevalue("postgres_dsn"), max_connections=2)
        sql.create_tables()
        built = sql
    elif request.param == "django_postgres":
        yield request.getfixturevalue("django_pg")  # the fixture closes it
        return
    else:
        from netrun.llm.policy.ledgers.django import DjangoLedger

        built = DjangoLedger()
    yield built
    built.close()


def windows(daily: int | None = 1000, monthly: int | None = 5000):  # type: ignore[no-untyped-def]
    return windows_for(NOW, daily_limit=daily, monthly_limit=monthly)


def test_reserve_holds_in_every_window_and_settle_charges_the_real_cost(
    ledger: BudgetLedger,
) -> None:
    day, month = windows()
    ledger.reserve("t1", "r1", (day, month), 600, ttl=60)
    assert ledger.usage("t1", day) == WindowUsage(spent=0, reserved=600)
    assert ledger.usage("t1", month) == WindowUsage(spent=0, reserved=600)
    ledger.settle("t1", "r1", (day, month), 250)
    assert ledger.usage("t1", day) == WindowUsage(spent=250, reserved=0)
    assert ledger.usage("t1", month) == WindowUsage(spent=250, reserved=0)


def test_a_reservation_that_does_not_fit_names_its_window_and_holds_nothing(
    ledger: BudgetLedger,
) -> None:
    day, month = windows(daily=1000, monthly=700)
    ledger.reserve("t1", "r1", (day, month), 600, ttl=60)
    with pytest.raises(ReservationRefused) as refused:
        ledger.reserve("t1", "r2", (day, month), 200, ttl=60)
    assert refused.value.window.period is Period.MONTH
    assert refused.value.usage == WindowUsage(spent=0, reserved=600)
    assert ledger.usage("t1", day).reserved == 600  # the day window was not touched


def test_release_returns_the_hold_once(ledger: BudgetLedger) -> None:
    day, month = windows()
    ledger.reserve("t1", "r1", (day, month), 1000, ttl=60)
    ledger.release("t1", "r1")
    ledger.release("t1", "r1")
    assert ledger.usage("t1", day) == WindowUsage(0, 0)
    ledger.reserve("t1", "r2", (day, month), 1000, ttl=60)  # the whole day budget again


def test_tenants_do_not_share_budgets(ledger: BudgetLedger) -> None:
    day, month = windows()
    ledger.reserve("t1", "r1", (day, month), 1000, ttl=60)
    ledger.reserve("t2", "r2", (day, month), 1000, ttl=60)
    assert ledger.usage("t2", day).reserved == 1000


def test_a_hold_of_a_dead_process_expires(ledger: BudgetLedger) -> None:
    day, month = windows()
    ledger.reserve("t1", "dead", (day, month), 1000, ttl=0.05)
    time.sleep(0.12)
    ledger.reserve("t1", "alive", (day, month), 1000, ttl=60)  # the stale hold was swept
    assert ledger.usage("t1", day).reserved == 1000
    # The dead call's late settlement is still charged, without releasing twice.
    ledger.settle("t1", "dead", (day, month), 10)
    assert ledger.usage("t1", day) == WindowUsage(spent=10, reserved=1000)


def test_windows_without_a_limit_track_spend(ledger: BudgetLedger) -> None:
    day, month = windows(daily=None, monthly=None)
    ledger.reserve("t1", "r1", (day, month), 10**9, ttl=60)
    ledger.settle("t1", "r1", (day, month), 10**9)
    assert ledger.usage("t1", month).spent == 10**9


def test_micros_round_up_and_back() -> None:
    from decimal import Decimal

    assert to_micros(Decimal("0.0000001")) == 1  # never under-charge
    assert to_micros(0.1) == 100_000
    assert from_micros(1_500_000) == Decimal("1.5")


def test_windows_follow_the_tenant_time_zone() -> None:
    day, month = windows_for(NOW, daily_limit=1, monthly_limit=1, timezone="Asia/Tokyo")
    # 23:30 UTC on 30 June is 08:30 on 1 July in Tokyo: a new day and a new month.
    assert (day.start, month.start) == (dt.date(2025, 7, 1), dt.date(2025, 7, 1))
    assert day.resets_at == dt.datetime(2025, 7, 1, 15, 0, tzinfo=dt.timezone.utc)
    assert month.resets_at == dt.datetime(2025, 7, 31, 15, 0, tzinfo=dt.timezone.utc)
    utc_day, utc_month = windows_for(NOW, daily_limit=1, monthly_limit=1)
    assert (utc_day.start, utc_month.start) == (dt.date(2025, 6, 30), dt.date(2025, 6, 1))
