"""The Redis backend on the real server (fixture ``redis_url``: a fresh database index)."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from typing import Any

import pytest
import redis

from netrun.ratelimit import BackendUnavailableError, RateLimiter, RedisBackend

# A port nothing listens on: connection refused at once, on loopback only.
DOWN_URL = "redis://127.0.0.1:1/0"


def test_admits_exactly_the_limit_then_refuses(redis_url: str) -> None:
    limiter = RateLimiter("3/m", RedisBackend(redis_url))
    decisions = [limiter.hit("k") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert 59 < decisions[3].retry_after <= 60
    assert 59 < decisions[3].reset_after <= 60


def test_cost_weighted_hits_and_peeks(redis_url: str) -> None:
    tokens = RateLimiter("1000/m", RedisBackend(redis_url), prefix="tpm:")
    assert tokens.hit("acme", cost=600).remaining == 400
    assert not tokens.hit("acme", cost=500).allowed
    assert tokens.hit("acme", cost=0).remaining == 400
    assert tokens.hit("acme", cost=400).remaining == 0


def test_the_window_slides(redis_url: str) -> None:
    """The oldest hit leaves first. Bounds come from the client's own measured intervals, so
    the test holds however slowly a loaded machine runs it (Redis decides with its own clock)."""
    period = 1.0
    limiter = RateLimiter("2/1s", RedisBackend(redis_url))
    first_sent = time.monotonic()
    assert limiter.hit("k").allowed
    first_done = time.monotonic()
    time.sleep(0.5)
    second_sent = time.monotonic()
    assert limiter.hit("k").allowed
    refused_sent = time.monotonic()
    refused = limiter.hit("k")
    refused_done = time.monotonic()
    assert not refused.allowed
    # retry_after = period - (server time of the refusal - server time of the FIRST hit).
    assert refused.retry_after <= period - (refused_sent - first_done)
    assert refused.retry_after >= period - (refused_done - first_sent)
    # ... which is sooner than the second hit could free a unit.
    assert refused.retry_after < period - (refused_done - second_sent)
    time.sleep(refused.retry_after + 0.05)
    assert limiter.hit("k").allowed
    assert not limiter.hit("k").allowed  # the second is still inside the window


def test_keys_expire_after_the_window(redis_url: str) -> None:
    backend = RedisBackend(redis_url, prefix="t:")
    sent = time.monotonic()
    RateLimiter("5/10s", backend).hit("k")
    client = redis.Redis.from_url(redis_url)
    ttls = [client.pttl(key) for key in client.keys("t:*")]
    elapsed_ms = (time.monotonic() - sent) * 1000
    assert len(ttls) == 2
    # The script sets one period plus a second; only the time this test took has run off it.
    assert all(11_000 - elapsed_ms <= ttl <= 11_000 for ttl in ttls)
    client.close()


def test_refused_hits_are_not_recorded(redis_url: str) -> None:
    backend = RedisBackend(redis_url, prefix="t:")
    limiter = RateLimiter("1/m", backend)
    for _ in range(5):
        limiter.hit("k")
    client = redis.Redis.from_url(redis_url)
    assert client.zcard("t:{k}") == 1
    client.close()


def test_the_running_total_is_rebuilt_when_the_log_is_gone(redis_url: str) -> None:
    backend = RedisBackend(redis_url, prefix="t:")
    limiter = RateLimiter("2/m", backend)
    limiter.hit("k")
    client = redis.Redis.from_url(redis_url)
    client.delete("t:{k}")  # the log vanished but the total stayed: trust the log
    assert limiter.hit("k").remaining == 1
    client.close()


def test_reset_deletes_the_keys(redis_url: str) -> None:
    limiter = RateLimiter("1/m", RedisBackend(redis_url))
    limiter.hit("k")
    limiter.reset("k")
    assert limiter.hit("k").allowed


def test_ahit_uses_an_async_client_per_event_loop(redis_url: str) -> None:
    limiter = RateLimiter("3/m", RedisBackend(redis_url))

    async def run() -> list[bool]:
        return [(await limiter.ahit("k")).allowed for _ in range(2)]

    assert asyncio.run(run()) == [True, True]
    assert asyncio.run(run()) == [True, False]  # a second loop, the same counts


def test_given_clients_are_used(redis_url: str) -> None:
    import redis.asyncio

    backend = RedisBackend(
        client=redis.Redis.from_url(redis_url), async_client=redis.asyncio.Redis.from_url(redis_url)
    )
    limiter = RateLimiter("1/m", backend)
    assert limiter.hit("k").allowed

    async def run() -> bool:
        return (await limiter.ahit("k")).allowed

    assert asyncio.run(run()) is False
    backend.close()


def test_a_backend_needs_a_url_or_a_client() -> None:
    with pytest.raises(ValueError, match="url or a client"):
        RedisBackend()


def test_an_async_only_backend_refuses_sync_hits(redis_url: str) -> None:
    import redis.asyncio

    backend = RedisBackend(async_client=redis.asyncio.Redis.from_url(redis_url))
    with pytest.raises(ValueError, match="only an async client"):
        backend.hit("k", 1, 1.0, 1)


def test_a_sync_only_backend_refuses_async_hits(redis_url: str) -> None:
    backend = RedisBackend(client=redis.Redis.from_url(redis_url))
    with pytest.raises(ValueError, match="only a sync client"):
        asyncio.run(backend.ahit("k", 1, 1.0, 1))


def test_unreachable_redis_raises_backend_unavailable() -> None:
    backend = RedisBackend(DOWN_URL)
    with pytest.raises(BackendUnavailableError, match="Redis is unavailable"):
        backend.hit("k", 1, 1.0, 1)
    with pytest.raises(BackendUnavailableError):
        asyncio.run(backend.ahit("k", 1, 1.0, 1))
    with pytest.raises(BackendUnavailableError):
        backend.reset("k")


def test_unreachable_redis_fails_open_or_closed_never_raises() -> None:
    assert RateLimiter("1/m", RedisBackend(DOWN_URL)).hit("k").allowed
    closed = RateLimiter("1/m", RedisBackend(DOWN_URL), fail_open=False)
    assert not closed.hit("k").allowed


# ---------------------------------------------------------------- exactness across processes

LIMIT = 50
PROCESSES = 8
ATTEMPTS = 40  # per process: 320 attempts on a limit of 50, all inside one window


def _hammer(url: str, ready: Any, go: Any, results: Any) -> None:
    limiter = RateLimiter(f"{LIMIT}/1h", RedisBackend(url))
    limiter.hit("warm-up", 0)  # connect and load the script before the race starts
    ready.put(True)
    go.wait(timeout=300)
    results.put(sum(limiter.hit("shared").allowed for _ in range(ATTEMPTS)))


@pytest.mark.slow
def test_eight_processes_hammering_one_key_admit_exactly_the_limit(redis_url: str) -> None:
    """Count-bounded, not time-bounded: the window (an hour) outlasts the run, so exactly the
    limit may be admitted, and any check-then-act race would admit more."""
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    workers = [
        context.Process(target=_hammer, args=(redis_url, ready, go, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            ready.get(timeout=300)  # spawned interpreters import at their own pace
        go.set()
        per_process = [results.get(timeout=300) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    assert all(worker.exitcode == 0 for worker in workers)
    assert sum(1 for admitted in per_process if admitted) > 1  # they really competed
    assert sum(per_process) == LIMIT
    assert not RateLimiter(f"{LIMIT}/1h", RedisBackend(redis_url)).hit("shared").allowed
