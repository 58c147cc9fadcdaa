"""A window nothing was recorded in reads as zeros, and admits exactly its limit.

Kills the ``WindowUsage`` default mutants of ``make mutation`` (``spent: int = 0`` -> ``1``,
``reserved: int = 0`` -> ``1``): the SQL and Django ledgers build ``WindowUsage()`` for a
window without a row, so a default of one would refuse a reservation of exactly the limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from netrun.llm.policy.ledgers import (
    BudgetLedger,
    MemoryLedger,
    ReservationRefused,
    WindowUsage,
    windows_for,
)

NOW = dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(
    params=[
        "memory",
        "redis",
        "sql",
        pytest.param("django", marks=pytest.mark.django_db(transaction=True)),
    ]
)
def ledger(request: pytest.FixtureRequest) -> Iterator[BudgetLedger]:
    if request.param == "memory":
        yield MemoryLedger()
        return
    built: BudgetLedger
    if request.param == "redis":
        from netrun.llm.policy.ledgers.redis import RedisLedger

        built = RedisLedger(request.getfixturevalue("redis_url"))
    elif request.param == "sql":
        from netrun.llm.policy.ledgers.sql import SQLLedger

        sql = SQLLedger(request.getfixturevalue("postgres_dsn"), max_connections=2)
        sql.create_tables()
        built = sql
    else:
        from netrun.llm.policy.ledgers.django import DjangoLedger

        built = DjangoLedger()
    yield built
    built.close()


def test_a_fresh_window_reads_zero_and_admits_exactly_its_limit(ledger: BudgetLedger) -> None:
    day, month = windows_for(NOW, daily_limit=1000, monthly_limit=None)
    assert ledger.usage("fresh", day) == WindowUsage(spent=0, reserved=0)
    ledger.reserve("fresh", "r1", (day, month), 1000, ttl=60)
    assert ledger.usage("fresh", day) == WindowUsage(spent=0, reserved=1000)
    with pytest.raises(ReservationRefused):
        ledger.reserve("fresh", "r2", (day, month), 1, ttl=60)
