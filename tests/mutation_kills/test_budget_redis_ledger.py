"""RedisLedger: mutants of ``make mutation`` the ledger tests let live."""

from __future__ import annotations

import datetime as dt

import pytest

from netrun.llm.policy.ledgers.base import BudgetWindow, Period, period_window
from netrun.llm.policy.ledgers.redis import RedisLedger

NOW = dt.datetime(2026, 12, 5, 12, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("wait_replicas", [-1, -2])
def test_a_negative_replica_count_is_refused(redis_url: str, wait_replicas: int) -> None:
    # Kills `wait_replicas < 0` -> `< -1`: every negative count is an error, -1 included.
    with pytest.raises(ValueError, match=f"wait_replicas must be >= 0, got {wait_replicas}"):
        RedisLedger(redis_url, wait_replicas=wait_replicas)


def test_no_replica_wait_is_the_default_and_zero_is_accepted(redis_url: str) -> None:
    ledger = RedisLedger(redis_url, wait_replicas=0)
    try:
        assert ledger.wait_replicas == 0
    finally:
        ledger.close()


def _counter_ttl(ledger: RedisLedger, window: BudgetWindow) -> int:
    ledger.reserve("acme", "r1", [window], 10, ttl=60)
    return int(ledger._client.ttl(ledger._window_key("acme", window)))


def test_a_day_counter_outlives_its_day_by_two_more(redis_url: str) -> None:
    # Kills `period is Period.HOURS` -> `is not`: a day's counter would get an hours TTL.
    ledger = RedisLedger(redis_url)
    try:
        day = period_window(NOW, Period.DAY, limit=1_000)
        assert 3 * 86400 - 60 < _counter_ttl(ledger, day) <= 3 * 86400
    finally:
        ledger.close()


def test_an_hours_counter_outlives_its_window_by_two_days(redis_url: str) -> None:
    ledger = RedisLedger(redis_url)
    try:
        five_hours = period_window(NOW, Period.HOURS, limit=1_000, scope="user:7", hours=5)
        expected = 5 * 3600 + 2 * 86400
        assert expected - 60 < _counter_ttl(ledger, five_hours) <= expected
    finally:
        ledger.close()
