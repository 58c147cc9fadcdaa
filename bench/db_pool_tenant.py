"""The per-checkout cost of applying the tenant in netrun.db_pool (issue 7's benchmark).

Compares, on loopback PostgreSQL, one borrower doing ``SELECT 1`` per checkout (BEGIN,
SELECT, COMMIT: 3 round trips in every variant) from a pool of two connections:

* ``plain``: psycopg_pool with no check and no tenant: the floor (0 extra round trips);
* ``checked``: psycopg_pool with ``check=ConnectionPool.check_connection``, the usual way to
  survive server restarts (1 extra round trip);
* ``netrun``: ``DatabasePool.connection()``, which writes the tenant with ``set_config`` on
  checkout (the write is also the liveness check) and clears it on return in the pool's
  worker thread.

Round trips are counted by wrapping ``PGconn.send_query_params`` / ``send_query`` of the
borrowed connection (every statement psycopg sends goes through one of them). Bounded:
``--checkouts`` per variant (default 2000). Needs ``NETRUN_BENCH_POSTGRES_DSN`` or the local
``postgresql://postgres@127.0.0.1:5432/postgres``.

    PSYCOPG_IMPL=python .venv/bin/python bench/db_pool_tenant.py --checkouts 2000

(``PSYCOPG_IMPL=python`` selects psycopg's pure-Python libpq wrapper, whose methods can be
wrapped for counting; the ratios are the same order with the C wrapper, just faster.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from netrun.core.context import tenant_context
from netrun.db_pool import DatabasePool, PoolConfig

DSN = os.environ.get("NETRUN_BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
TENANT = "11111111-1111-1111-1111-111111111111"


class RoundTrips:
    """Counts statements sent by the borrowing thread (the request's critical path)."""

    def __init__(self) -> None:
        self.borrower = 0
        self.worker = 0
        self.thread = threading.get_ident()
        self._lock = threading.Lock()

    def hit(self) -> None:
        with self._lock:
            if threading.get_ident() == self.thread:
                self.borrower += 1
            else:
                self.worker += 1


def instrument(conn: Connection[Any], counter: RoundTrips) -> None:
    """Patch the PGconn class once so every statement sent is counted."""
    cls = type(conn.pgconn)
    cls._netrun_bench = counter  # type: ignore[attr-defined]
    if getattr(cls, "_netrun_patched", False):
        return
    for name in ("send_query_params", "send_query", "send_query_prepared"):
        original = getattr(cls, name)

        def counted(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            type(self)._netrun_bench.hit()
            return _original(self, *args, **kwargs)

        try:
            setattr(cls, name, counted)
        except TypeError:
            raise SystemExit(
                "set PSYCOPG_IMPL=python: counting needs the Python libpq wrapper"
            ) from None
    cls._netrun_patched = True  # type: ignore[attr-defined]


def run(
    name: str,
    borrow: Callable[[], AbstractContextManager[Connection[Any]]],
    checkouts: int,
    counter: RoundTrips,
) -> dict[str, Any]:
    latencies: list[float] = []
    for _ in range(200):  # warm-up, also instruments the connection
        with borrow() as conn:
            instrument(conn, counter)
            conn.execute("SELECT 1")
    counter.borrower = counter.worker = 0
    started = time.perf_counter()
    for _ in range(checkouts):
        t0 = time.perf_counter()
        with borrow() as conn:
            conn.execute("SELECT 1")
        latencies.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    return {
        "name": name,
        "per_checkout_us": total / checkouts * 1e6,
        "p50_us": statistics.median(latencies) * 1e6,
        "p99_us": statistics.quantiles(latencies, n=100)[98] * 1e6,
        "borrower_round_trips": counter.borrower / checkouts,
        "worker_round_trips": counter.worker / checkouts,
    }


@contextmanager
def raw(pool: ConnectionPool[Connection[Any]]) -> Iterator[Connection[Any]]:
    with pool.connection() as conn:
        yield conn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=2000)
    args = parser.parse_args()
    results = []

    counter = RoundTrips()
    with ConnectionPool(DSN, min_size=2, max_size=2, open=True) as plain:
        results.append(run("plain", lambda: raw(plain), args.checkouts, counter))
    counter = RoundTrips()
    with ConnectionPool(
        DSN, min_size=2, max_size=2, open=True, check=ConnectionPool.check_connection
    ) as checked:
        results.append(run("checked", lambda: raw(checked), args.checkouts, counter))
    counter = RoundTrips()
    with (
        DatabasePool(PoolConfig(url=DSN, min_size=2, max_size=2, _env_file=None)) as pool,
        tenant_context(TENANT),
    ):
        results.append(run("netrun", pool.connection, args.checkouts, counter))

    print(f"{args.checkouts} checkouts per variant, one borrower, SELECT 1 each, loopback")
    base, checked_r, ours = results
    print(f"{'variant':<9}{'us/checkout':>13}{'p50 us':>9}{'p99 us':>9}"
          f"{'RT borrower':>13}{'extra vs plain':>16}{'RT worker':>11}")  # fmt: skip
    for r in results:
        extra = r["borrower_round_trips"] - base["borrower_round_trips"]
        print(
            f"{r['name']:<9}{r['per_checkout_us']:>13.1f}{r['p50_us']:>9.1f}{r['p99_us']:>9.1f}"
            f"{r['borrower_round_trips']:>13.2f}{extra:>16.2f}{r['worker_round_trips']:>11.2f}"
        )
    print(
        f"netrun/plain = {ours['per_checkout_us'] / base['per_checkout_us']:.2f}x, "
        f"netrun/checked = {ours['per_checkout_us'] / checked_r['per_checkout_us']:.2f}x"
    )


if __name__ == "__main__":
    main()
