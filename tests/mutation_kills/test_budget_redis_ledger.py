"""RedisLedger: a mutant of ``make mutation`` the ledger tests let live."""

from __future__ import annotations

import pytest

from netrun.llm.policy.ledgers.redis import RedisLedger


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
