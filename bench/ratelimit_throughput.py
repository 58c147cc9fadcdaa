"""Throughput and latency of one rate-limit check on Redis: netrun vs django-ratelimit.

    python bench/ratelimit_throughput.py

Same Redis server (loopback), same client library (redis-py), one check per call with
increment, single thread, CHECKS calls per library after a warm-up, alternated in ROUNDS so
neither gets the quieter half of the machine. netrun runs its whole sliding-window check in
one Lua script (one round trip); django-ratelimit does ``cache.add`` then ``cache.incr`` (two
round trips, fixed window). Two cases: all admitted (high limit) and all refused (limit hit).
Stops by itself after about 20 seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ratelimit_common import NETRUN_PREFIX, REDIS_URL, cleanup, percentile, request, setup_django

CHECKS = 5000
ROUNDS = 3


def measure(check: Callable[[], object], count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        check()
        latencies.append(time.perf_counter() - started)
    return latencies


def run_case(limit: int) -> dict[str, list[float]]:
    from django_ratelimit.core import is_ratelimited

    from netrun.ratelimit import RateLimiter, RedisBackend

    rate = f"{limit}/h"
    req = request(f"192.0.2.{limit % 250}")
    netrun = RateLimiter(rate, RedisBackend(REDIS_URL), prefix=f"{NETRUN_PREFIX}{limit}:")

    def theirs() -> object:
        return is_ratelimited(req, group=f"bench{limit}", key="ip", rate=rate, increment=True)

    def ours() -> object:
        return netrun.hit("192.0.2.1")

    results: dict[str, list[float]] = {"django-ratelimit": [], "netrun": []}
    # Warm-up: connections and the script, and in the refused case the limit used up.
    warm_up = 200 + (limit if limit <= 1000 else 0)
    for check in (theirs, ours):
        measure(check, warm_up)
    for _ in range(ROUNDS):
        results["django-ratelimit"] += measure(theirs, CHECKS // ROUNDS)
        results["netrun"] += measure(ours, CHECKS // ROUNDS)
    return results


def report(title: str, results: dict[str, list[float]]) -> None:
    print(title)
    print(f"  {'':20}{'checks/s':>12}{'p50 us':>10}{'p99 us':>10}")
    stats = {}
    for name, latencies in results.items():
        per_second = len(latencies) / sum(latencies)
        p50, p99 = percentile(latencies, 0.50) * 1e6, percentile(latencies, 0.99) * 1e6
        stats[name] = (per_second, p50, p99)
        print(f"  {name:20}{per_second:>12,.0f}{p50:>10.0f}{p99:>10.0f}")
    ours, theirs = stats["netrun"], stats["django-ratelimit"]
    print(
        f"  ratio netrun / django-ratelimit: throughput {ours[0] / theirs[0]:.2f}x, "
        f"p99 latency {ours[2] / theirs[2]:.2f}x (lower is better)"
    )


def main() -> None:
    setup_django()
    try:
        report("all admitted (limit 1,000,000/h)", run_case(1_000_000))
        report("all refused (limit 100/h, already used up)", run_case(100))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
