"""The async circuit breaker: ``CircuitBreaker.a*`` on ``AsyncRedisBreakerStore``.

Against the shared Redis (a database per test worker) and, for the outage, a redis-server of
the test's own that it kills. The clock is injected, never read from the wall.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import redis

from netrun.errors import BadGatewayError, ServiceUnavailableError, ValidationError
from netrun.llm import LLMConfig
from netrun.llm.resilience import (
    AsyncRedisBreakerStore,
    CircuitBreaker,
    MemoryBreakerStore,
    RedisBreakerStore,
)
from netrun.llm.resilience.config import breaker_from_config
from netrun.logging.testing import capture_logs
from tests.faults.conftest import OwnRedis

pytestmark = pytest.mark.redis

MODEL = ("openai", "gpt-4.1")


class Clock:
    """Wall-clock seconds that move only when the test says so."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture(params=["memory", "redis"])
async def breaker(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[CircuitBreaker]:
    """A breaker of 3 failures in 60 s, cooldown 30 s: in memory (the async methods call
    the memory store directly) or on the two Redis stores."""
    if request.param == "memory":
        yield CircuitBreaker(failures=3, window=60, cooldown=30, probe_timeout=10, clock=clock)
        return
    redis_url = request.getfixturevalue("redis_url")
    # Timeouts far above the default 0.25 s: these tests are about the state machine, and a
    # loaded machine must not turn a slow answer into a fail-open admission.
    sync_store = RedisBreakerStore(redis_url, socket_timeout=5)
    async_store = AsyncRedisBreakerStore(redis_url, socket_timeout=5)
    yield CircuitBreaker(
        sync_store,
        async_store=async_store,
        failures=3,
        window=60,
        cooldown=30,
        probe_timeout=10,
        clock=clock,
    )
    sync_store.close()
    await async_store.aclose()


@pytest.mark.asyncio
async def test_the_async_breaker_opens_after_n_failures_within_the_window(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    for _ in range(2):
        assert (await breaker.arecord_failure(*MODEL, ServiceUnavailableError())).state == "closed"
    clock.now += 61  # those two fall out of the window
    for count in (1, 2):
        transition = await breaker.arecord_failure(*MODEL, ServiceUnavailableError())
        assert (transition.state, transition.failures) == ("closed", count)
    # An invalid request says nothing about the provider's health: not counted.
    assert (await breaker.arecord_failure(*MODEL, ValidationError())).failures == 0
    opened = await breaker.arecord_failure(*MODEL, ServiceUnavailableError())
    assert (opened.previous, opened.state, opened.failures) == ("closed", "open", 3)
    refused = await breaker.aallow(*MODEL)
    assert (refused.allowed, refused.state, refused.retry_in) == (False, "open", 30.0)
    assert await breaker.astate(*MODEL) == "open"
    assert breaker.state(*MODEL) == "open"  # the sync methods read the very same state


@pytest.mark.asyncio
async def test_a_half_open_breaker_admits_exactly_one_probe_among_concurrent_tasks(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    await breaker.acool_down(*MODEL, 30)
    clock.now += 30
    with capture_logs() as logs:
        admissions = await asyncio.gather(*(breaker.aallow(*MODEL) for _ in range(50)))
    assert [e for e in logs if e["event"] == "llm_breaker_store_failed"] == []
    assert sum(a.allowed for a in admissions) == 1
    assert sum(a.probe for a in admissions) == 1
    assert {a.state for a in admissions} == {"half_open"}
    [probe] = [a for a in admissions if a.probe]
    await breaker.arecord_success(*MODEL, probe)
    assert await breaker.astate(*MODEL) == "closed"
    assert (await breaker.aallow(*MODEL)).allowed


@pytest.mark.asyncio
async def test_a_failed_async_probe_reopens_for_another_cooldown(
    breaker: CircuitBreaker, clock: Clock
) -> None:
    await breaker.acool_down(*MODEL, 30)
    clock.now += 30
    assert (await breaker.aallow(*MODEL)).probe
    reopened = await breaker.arecord_failure(*MODEL, BadGatewayError())
    assert (reopened.previous, reopened.state) == ("half_open", "open")
    assert (await breaker.aallow(*MODEL)).retry_in == 30.0


@pytest.mark.asyncio
async def test_sync_and_async_stores_share_one_breakers_state(redis_url: str, clock: Clock) -> None:
    """Two processes' worth of breakers, one sync and one async, on one Redis."""
    sync_breaker = CircuitBreaker(
        RedisBreakerStore(redis_url, socket_timeout=5),
        failures=2,
        cooldown=30,
        probe_timeout=10,
        clock=clock,
    )
    async_breaker = CircuitBreaker(
        RedisBreakerStore(redis_url, socket_timeout=5),
        async_store=AsyncRedisBreakerStore(redis_url, socket_timeout=5),
        failures=2,
        cooldown=30,
        probe_timeout=10,
        clock=clock,
    )
    sync_breaker.record_failure(*MODEL, ServiceUnavailableError())
    # One failure here, one there: two within the window open the breaker for both.
    opened = await async_breaker.arecord_failure(*MODEL, ServiceUnavailableError())
    assert (opened.state, opened.failures) == ("open", 2)
    assert not sync_breaker.allow(*MODEL).allowed
    clock.now += 30
    probe = await async_breaker.aallow(*MODEL)
    assert probe.probe
    held = sync_breaker.allow(*MODEL)  # the async caller holds the probe
    assert (held.allowed, held.state) == (False, "half_open")
    await async_breaker.arecord_success(*MODEL, probe)
    assert sync_breaker.state(*MODEL) == "closed"
    # And back: a Retry-After cool-down from the sync side pauses the async side.
    sync_breaker.cool_down(*MODEL, 120)
    assert (await async_breaker.aallow(*MODEL)).retry_in == 120.0
    client: Any = redis.Redis.from_url(redis_url)
    assert [key.decode() for key in client.keys("netrun:llm:cb:*")] == [
        "netrun:llm:cb:{openai:gpt-4.1}"
    ]
    client.close()
    assert async_breaker.async_store is not None
    await async_breaker.async_store.reset()
    assert sync_breaker.state(*MODEL) == "closed"
    for breaker in (sync_breaker, async_breaker):
        breaker.store.close()  # type: ignore[attr-defined]
    await async_breaker.async_store.aclose()  # type: ignore[attr-defined]


def test_an_async_store_serves_each_event_loop_with_a_client_of_its_own(
    redis_url: str, clock: Clock
) -> None:
    """Process-wide stores meet several loops (``async_to_sync``, one loop per test)."""
    store = AsyncRedisBreakerStore(redis_url, socket_timeout=5)
    breaker = CircuitBreaker(
        RedisBreakerStore(redis_url, socket_timeout=5), async_store=store, failures=2, clock=clock
    )

    async def fail() -> str:
        transition = await breaker.arecord_failure(*MODEL, ServiceUnavailableError())
        await store.aclose()
        return transition.state

    assert asyncio.run(fail()) == "closed"
    assert asyncio.run(fail()) == "open"  # a second loop, the same count
    breaker.store.close()  # type: ignore[attr-defined]


def test_breaker_from_config_builds_both_stores_from_one_setting(redis_url: str) -> None:
    breaker = breaker_from_config(LLMConfig(breaker_store=redis_url))
    assert breaker is not None
    assert isinstance(breaker.store, RedisBreakerStore)
    assert isinstance(breaker.async_store, AsyncRedisBreakerStore)
    assert (breaker.async_store.url, breaker.async_store.prefix) == (
        breaker.store.url,
        breaker.store.prefix,
    )
    again = breaker_from_config(LLMConfig(breaker_store=redis_url))
    assert again is not None
    assert (again.store, again.async_store) == (breaker.store, breaker.async_store)
    memory = breaker_from_config(LLMConfig(breaker_store="memory"))
    assert memory is not None
    assert isinstance(memory.store, MemoryBreakerStore)
    assert memory.async_store is None
    assert breaker_from_config(LLMConfig(breaker_store="off")) is None


def test_an_async_store_without_the_store_it_mirrors_is_refused(redis_url: str) -> None:
    with pytest.raises(ValueError, match="async_store"):
        CircuitBreaker(async_store=AsyncRedisBreakerStore(redis_url))


# ---------------------------------------------------------------------- Redis down


@pytest.mark.asyncio
async def test_the_async_breaker_fails_open_while_redis_is_down_and_recovers(
    own_redis: OwnRedis, clock: Clock
) -> None:
    async_store = AsyncRedisBreakerStore(own_redis.url, socket_timeout=0.2)
    breaker = CircuitBreaker(
        RedisBreakerStore(own_redis.url, socket_timeout=0.2),
        async_store=async_store,
        failures=1,
        cooldown=30,
        clock=clock,
    )
    await breaker.arecord_failure(*MODEL, ServiceUnavailableError())
    assert not (await breaker.aallow(*MODEL)).allowed

    own_redis.kill()
    with capture_logs() as logs:
        admission = await breaker.aallow(*MODEL)
        transition = await breaker.arecord_failure(*MODEL, ServiceUnavailableError())
        await breaker.acool_down(*MODEL, 60)
    # Fails open: the call goes through as if the breaker were closed, nothing is counted.
    assert (admission.allowed, admission.state, admission.probe) == (True, "closed", False)
    assert transition.state == "closed"
    failed = [e for e in logs if e["event"] == "llm_breaker_store_failed"]
    assert [e["operation"] for e in failed] == ["acquire", "failure", "cool_down"]
    assert {e["store"] for e in failed} == {"AsyncRedisBreakerStore"}
    assert {e["result"] for e in failed} == {"fail_open"}
    assert not [e for e in logs if e["event"] == "llm_breaker"]
    with pytest.raises(redis.RedisError):
        await breaker.astate(*MODEL)  # a question, not a decision: the error is raised

    own_redis.start()  # the same port, no persistence: the breaker state is gone
    assert (await breaker.aallow(*MODEL)).allowed
    opened = await breaker.arecord_failure(*MODEL, ServiceUnavailableError())
    assert opened.state == "open"
    breaker.store.close()  # type: ignore[attr-defined]
    await async_store.aclose()
