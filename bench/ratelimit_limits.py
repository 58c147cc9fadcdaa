"""netrun's Redis limiter vs the ``limits`` library's Redis moving window: exactness and speed.

    python bench/ratelimit_limits.py [--hits 4000] [--rounds 3]

Both on the same loopback Redis (database 15, keys under a per-run prefix, deleted after),
in the same run:

* exactness under concurrency: PROCESSES processes hammer one key with ATTEMPTS hits each
  against LIMIT per hour (the window outlasts the run, so exactly LIMIT may pass);
* exactness of the slide: one client hits a SLIDE_LIMIT per SLIDE_PERIOD s limit for
  SLIDE_RUN s; the most admissions inside any SLIDE_PERIOD s (by the client's clock) must not
  pass the limit;
* skewed clocks: SLIDE_LIMIT hits from one app server, then SLIDE_LIMIT more from a second
  whose clock runs SKEW s ahead (``limits`` stamps hits with the client's ``time.time()``;
  netrun with the server's ``TIME``), within the same real second;
* speed: ``--hits`` sequential hits over 100 keys, one client, alternating the two libraries
  round by round (so both see the same machine load); hits per second and the ratio. The
  same work: netrun's hit returns the decision with remaining/reset/retry-after (what the
  ``RateLimit`` headers need) in one round trip; ``limits`` needs ``hit`` and then
  ``get_window_stats`` for them, so it is timed both bare and with the stats.

Stops by itself (about SLIDE_RUN x 2 s plus the hits).
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from collections.abc import Callable
from typing import Any

from ratelimit_common import NETRUN_PREFIX, REDIS_URL, RUN, cleanup

LIMIT = 50
PROCESSES = 8
ATTEMPTS = 40
SLIDE_LIMIT = 20
SLIDE_PERIOD = 2
SLIDE_RUN = 5.0
LIMITS_PREFIX = f"bench:{RUN}:lim"


def netrun_hitter(limit: str, prefix: str = NETRUN_PREFIX) -> Callable[[str], bool]:
    from netrun.ratelimit import RateLimiter, RedisBackend

    limiter = RateLimiter(limit, RedisBackend(REDIS_URL, prefix=prefix))
    return lambda key: limiter.hit(key).allowed


def limits_hitter(limit: str, prefix: str = LIMITS_PREFIX) -> Callable[[str], bool]:
    from limits import parse, storage, strategies

    store = storage.storage_from_string(REDIS_URL, key_prefix=prefix)
    limiter = strategies.MovingWindowRateLimiter(store)
    item = parse(limit)
    return lambda key: bool(limiter.hit(item, key))


HITTERS: dict[str, Callable[..., Callable[[str], bool]]] = {
    "netrun": netrun_hitter,
    "limits": limits_hitter,
}
# The same rates in each library's syntax.
RATES = {
    "netrun": (f"{LIMIT}/1h", f"{SLIDE_LIMIT}/{SLIDE_PERIOD}s", "1000000/1h"),
    "limits": (f"{LIMIT}/hour", f"{SLIDE_LIMIT}/{SLIDE_PERIOD} seconds", "1000000/hour"),
}


PREFIXES = {"netrun": NETRUN_PREFIX, "limits": LIMITS_PREFIX}


def _hammer(name: str, prefix: str, ready: Any, go: Any, results: Any) -> None:
    # The parent's prefix: a spawned child draws a run id of its own on import.
    hit = HITTERS[name](RATES[name][0], prefix)
    hit("warm-up")  # connect and load the scripts before the race
    ready.put(True)
    go.wait(timeout=120)
    results.put(sum(hit("shared") for _ in range(ATTEMPTS)))


def concurrent_admitted(name: str) -> int:
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    workers = [
        context.Process(target=_hammer, args=(name, PREFIXES[name], ready, go, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=120)
    go.set()
    admitted = sum(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    return admitted


def max_in_any_window(stamps: list[float], period: float) -> int:
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= period:
            start += 1
        best = max(best, end - start + 1)
    return best


def slide(name: str) -> tuple[int, int]:
    """(admitted in SLIDE_RUN s, most admitted in any SLIDE_PERIOD s)."""
    hit = HITTERS[name](RATES[name][1])
    stamps: list[float] = []
    end = time.monotonic() + SLIDE_RUN
    while time.monotonic() < end:
        before = time.monotonic()
        if hit("slide"):
            stamps.append(before)  # admitted no earlier than this: a conservative stamp
        time.sleep(0.002)
    return len(stamps), max_in_any_window(stamps, SLIDE_PERIOD)


SKEW = 3.0


def skewed(name: str) -> int:
    """Admitted out of 2 x SLIDE_LIMIT hits, half from a server whose clock is SKEW s ahead."""
    hit = HITTERS[name](RATES[name][1])
    admitted = sum(hit("skew") for _ in range(SLIDE_LIMIT))
    import limits.storage.redis as limits_redis

    real = time.time

    class Ahead:
        @staticmethod
        def time() -> float:
            return real() + SKEW

    saved = limits_redis.time  # type: ignore[attr-defined]
    limits_redis.time = Ahead  # type: ignore[attr-defined,assignment]
    try:
        admitted += sum(hit("skew") for _ in range(SLIDE_LIMIT))
    finally:
        limits_redis.time = saved  # type: ignore[attr-defined]
    return admitted


def limits_with_stats(limit: str) -> Callable[[str], bool]:
    from limits import parse, storage, strategies

    store = storage.storage_from_string(REDIS_URL, key_prefix=LIMITS_PREFIX)
    limiter = strategies.MovingWindowRateLimiter(store)
    item = parse(limit)

    def hit(key: str) -> bool:
        allowed = limiter.hit(item, key)
        limiter.get_window_stats(item, key)  # remaining and reset, for the headers
        return bool(allowed)

    return hit


def speed(hits: int, rounds: int) -> dict[str, float]:
    clients = {name: factory(RATES[name][2]) for name, factory in HITTERS.items()}
    clients["limits+stats"] = limits_with_stats(RATES["limits"][2])
    for hit in clients.values():
        hit("warm-up")
    elapsed = dict.fromkeys(clients, 0.0)
    for _ in range(rounds):
        for name, hit in clients.items():
            start = time.perf_counter()
            for n in range(hits):
                hit(f"key-{n % 100}")
            elapsed[name] += time.perf_counter() - start
    return {name: hits * rounds / seconds for name, seconds in elapsed.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    import limits

    print(f"limits {limits.__version__}, Redis {REDIS_URL}, {multiprocessing.cpu_count()} cores")
    try:
        for name in HITTERS:
            admitted = concurrent_admitted(name)
            print(
                f"{name:7s} {PROCESSES} processes x {ATTEMPTS} hits, limit {LIMIT}/h: "
                f"{admitted} admitted ({'exact' if admitted == LIMIT else 'NOT EXACT'})"
            )
        for name in HITTERS:
            admitted, most = slide(name)
            print(
                f"{name:7s} slide {SLIDE_LIMIT}/{SLIDE_PERIOD}s for {SLIDE_RUN:.0f}s: {admitted} "
                f"admitted, at most {most} in any {SLIDE_PERIOD}s "
                f"({'exact' if most <= SLIDE_LIMIT else 'OVER'})"
            )
        for name in HITTERS:
            admitted = skewed(name)
            print(
                f"{name:7s} {2 * SLIDE_LIMIT} hits, half from a clock {SKEW:.0f}s ahead, limit "
                f"{SLIDE_LIMIT}/{SLIDE_PERIOD}s: {admitted} admitted "
                f"({'exact' if admitted == SLIDE_LIMIT else 'OVER'})"
            )
        rates = speed(options.hits, options.rounds)
        for name, rate in rates.items():
            print(f"{name:12s} {rate:,.0f} hits/s (one client, sequential)")
        print(f"ratio netrun/limits (hit only): {rates['netrun'] / rates['limits']:.2f}x")
        print(
            "ratio netrun/limits (decision and header values): "
            f"{rates['netrun'] / rates['limits+stats']:.2f}x"
        )
    finally:
        cleanup()
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"{LIMITS_PREFIX}*"))
        if keys:
            client.delete(*keys)
        client.close()


if __name__ == "__main__":
    main()
