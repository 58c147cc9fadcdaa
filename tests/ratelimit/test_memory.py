from __future__ import annotations

import asyncio
import threading

from netrun.ratelimit import MemoryBackend, RateLimiter
from tests.ratelimit.conftest import FakeClock


def test_admits_exactly_the_limit_then_refuses(clock: FakeClock) -> None:
    limiter = RateLimiter("3/m", MemoryBackend(clock=clock))
    decisions = [limiter.hit("k") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[0].limit == 3
    assert decisions[3].retry_after == 60.0
    assert decisions[3].reset_after == 60.0


def test_the_window_slides_so_a_boundary_never_admits_twice_the_limit(clock: FakeClock) -> None:
    limiter = RateLimiter("10/m", MemoryBackend(clock=clock))
    clock.advance(59)  # the end of a fixed window: a fixed-window limiter resets at 60
    assert sum(limiter.hit("k").allowed for _ in range(10)) == 10
    clock.advance(2)  # "next window" for a fixed-window limiter
    assert sum(limiter.hit("k").allowed for _ in range(10)) == 0
    clock.advance(58)  # one minute after the burst: room again
    assert sum(limiter.hit("k").allowed for _ in range(10)) == 10


def test_retry_after_is_when_the_oldest_hit_leaves_the_window(clock: FakeClock) -> None:
    limiter = RateLimiter("2/10s", MemoryBackend(clock=clock))
    limiter.hit("k")
    clock.advance(4)
    limiter.hit("k")
    clock.advance(1)
    refused = limiter.hit("k")
    assert not refused.allowed
    assert refused.retry_after == 5.0  # first hit at t0 leaves at t0+10, now is t0+5
    assert refused.reset_after == 9.0  # the second leaves at t0+14
    clock.advance(5)
    assert limiter.hit("k").allowed


def test_cost_weighted_hits_consume_their_cost(clock: FakeClock) -> None:
    tokens = RateLimiter("1000/m", MemoryBackend(clock=clock))
    assert tokens.hit("tenant", cost=600).remaining == 400
    refused = tokens.hit("tenant", cost=500)
    assert not refused.allowed
    assert refused.remaining == 400
    assert tokens.hit("tenant", cost=400).remaining == 0


def test_retry_after_for_a_large_cost_waits_for_enough_to_expire(clock: FakeClock) -> None:
    tokens = RateLimiter("100/m", MemoryBackend(clock=clock))
    tokens.hit("t", cost=30)
    clock.advance(10)
    tokens.hit("t", cost=30)
    clock.advance(10)
    tokens.hit("t", cost=40)
    # 60 more need the first two hits gone: the second leaves at t0+70, now is t0+20.
    assert tokens.hit("t", cost=60).retry_after == 50.0


def test_cost_zero_peeks_without_recording(clock: FakeClock) -> None:
    limiter = RateLimiter("2/m", MemoryBackend(clock=clock))
    limiter.hit("k")
    peek = limiter.hit("k", cost=0)
    assert peek.allowed
    assert peek.remaining == 1
    assert limiter.hit("k").remaining == 0


def test_keys_and_prefixes_are_independent(clock: FakeClock) -> None:
    backend = MemoryBackend(clock=clock)
    rpm = RateLimiter("1/m", backend, prefix="rpm:")
    tpm = RateLimiter("1/m", backend, prefix="tpm:")
    assert rpm.hit("a").allowed
    assert rpm.hit("b").allowed
    assert tpm.hit("a").allowed
    assert not rpm.hit("a").allowed


def test_reset_forgets_a_key(clock: FakeClock) -> None:
    limiter = RateLimiter("1/m", MemoryBackend(clock=clock))
    limiter.hit("k")
    limiter.reset("k")
    assert limiter.hit("k").allowed


def test_idle_keys_are_swept(clock: FakeClock) -> None:
    backend = MemoryBackend(clock=clock, sweep_every=5)
    limiter = RateLimiter("5/s", backend)
    for index in range(4):
        limiter.hit(f"idle-{index}")
    clock.advance(2)
    limiter.hit("fresh")  # the fifth hit sweeps
    assert len(backend) == 1


def test_threads_hammering_one_key_admit_exactly_the_limit() -> None:
    limiter = RateLimiter("500/h", MemoryBackend())
    admitted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        count = sum(limiter.hit("shared").allowed for _ in range(200))
        with lock:
            admitted.append(count)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(admitted) == 500


def test_ahit_works_on_the_memory_backend(clock: FakeClock) -> None:
    limiter = RateLimiter("1/m", MemoryBackend(clock=clock))

    async def run() -> list[bool]:
        return [(await limiter.ahit("k")).allowed for _ in range(2)]

    assert asyncio.run(run()) == [True, False]
