"""Accuracy around a window boundary: netrun's sliding window vs django-ratelimit's fixed one.

    python bench/ratelimit_accuracy.py

Both limiters allow LIMIT requests per PERIOD seconds on the same Redis. A client hammers
both, in the same loop, from just before django-ratelimit's window boundary to just after
it. django-ratelimit starts a fresh count at the boundary and admits up to 2 x LIMIT within
a couple of seconds; netrun admits LIMIT in any interval of PERIOD seconds. Then PROCESSES
processes hammer one netrun key together to show the count stays exact under concurrency.
Runs for about PERIOD + 10 seconds and stops by itself.
"""

from __future__ import annotations

import multiprocessing
import time
import zlib
from typing import Any

from ratelimit_common import NETRUN_PREFIX, REDIS_URL, cleanup, request, setup_django

LIMIT = 20
PERIOD = 10
PROCESSES = 8


def max_in_any_window(stamps: list[float], period: float) -> int:
    """The most admissions inside any interval of ``period`` seconds."""
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= period:
            start += 1
        best = max(best, end - start + 1)
    return best


def next_boundary(value: str, period: int) -> float:
    # django-ratelimit's own formula (core._get_window): a window named w covers the whole
    # seconds up to and including w, at a per-key offset, so its count restarts at w + 1.
    now = int(time.time())
    window = now - (now % period) + (zlib.crc32(value.encode()) % period)
    if window < now:
        window += period
    return float(window + 1)


def boundary_run() -> tuple[list[float], list[float], int]:
    from django_ratelimit.core import is_ratelimited

    from netrun.ratelimit import RateLimiter, RedisBackend

    address = "192.0.2.77"
    netrun = RateLimiter(f"{LIMIT}/{PERIOD}s", RedisBackend(REDIS_URL), prefix=NETRUN_PREFIX)
    netrun.hit(address, cost=0)  # connect and load the script first
    boundary = next_boundary(address, PERIOD)
    if boundary - time.time() < 1.5:
        boundary += PERIOD
    time.sleep(max(0.0, boundary - 1.0 - time.time()))
    theirs: list[float] = []
    ours: list[float] = []
    req = request(address)
    # Hammer from 1 s before the boundary to 1 s after it.
    while time.time() < boundary + 1.0:
        now = time.time()
        if not is_ratelimited(
            req, group="bench", key="ip", rate=f"{LIMIT}/{PERIOD}s", increment=True
        ):
            theirs.append(now)
        if netrun.hit(address).allowed:
            ours.append(now)
    return theirs, ours, int(boundary)


def _worker(prefix: str, ready: Any, go: Any, deadline: Any, results: Any) -> None:
    from netrun.ratelimit import RateLimiter, RedisBackend

    # The prefix comes from the parent: a spawned process draws its own run id on import.
    limiter = RateLimiter(f"{LIMIT}/{PERIOD}s", RedisBackend(REDIS_URL), prefix=prefix)
    limiter.hit("shared", cost=0)
    ready.put(True)
    go.wait(timeout=60)
    admitted, attempts = 0, 0
    while time.time() < deadline.value:
        attempts += 1
        admitted += limiter.hit("shared").allowed
    results.put((admitted, attempts))


def concurrent_run() -> tuple[int, int]:
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Queue(), context.Event(), context.Queue()
    deadline = context.Value("d", 0.0)
    workers = [
        context.Process(target=_worker, args=(NETRUN_PREFIX, ready, go, deadline, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            ready.get(timeout=60)
        deadline.value = time.time() + 3.0  # well inside one window
        go.set()
        totals = [results.get(timeout=60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    return sum(t[0] for t in totals), sum(t[1] for t in totals)


def main() -> None:
    setup_django()
    try:
        theirs, ours, boundary = boundary_run()
        admitted, attempts = concurrent_run()
    finally:
        cleanup()
    print(f"rate: {LIMIT}/{PERIOD}s; hammered from boundary-1s to boundary+1s (one loop, both)")
    print(f"{'':24}{'admitted in 2 s':>18}{'max in any ' + str(PERIOD) + ' s':>18}")
    for name, stamps in (("django-ratelimit 4.1", theirs), ("netrun.ratelimit", ours)):
        before = sum(1 for s in stamps if s < boundary)
        print(
            f"{name:24}{len(stamps):>12} ({before}+{len(stamps) - before})"
            f"{max_in_any_window(stamps, PERIOD):>12}"
        )
    print(
        f"ratio django-ratelimit / limit: {max_in_any_window(theirs, PERIOD) / LIMIT:.2f}x; "
        f"netrun / limit: {max_in_any_window(ours, PERIOD) / LIMIT:.2f}x"
    )
    print(
        f"{PROCESSES} processes, one netrun key, 3 s: {admitted} admitted of {attempts} attempts "
        f"(limit {LIMIT}) -> {'exact' if admitted == LIMIT else 'NOT EXACT'}"
    )


if __name__ == "__main__":
    main()
