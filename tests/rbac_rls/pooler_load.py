"""Threads alternating two tenants on one process, for the pooler tests.

``python -m tests.rbac_rls.pooler_load THREADS MAX_QUERIES SECONDS`` prints one JSON line:
queries run, rows of the other tenant seen, queries that saw no row (both tenants have
rows), queries refused by the session check, and other errors. Bounded by a query count
per thread and a deadline, whichever comes first.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import django

django.setup()

from django.db import connection  # noqa: E402

from netrun.core.context import tenant_context  # noqa: E402
from netrun.rbac.db.backends.postgresql.base import TenantScopeMismatchError  # noqa: E402

A = "00000000-0000-0000-0000-00000000000a"
B = "00000000-0000-0000-0000-00000000000b"


def worker(
    index: int, max_queries: int, deadline: float, totals: dict[str, int], lock: threading.Lock
) -> None:
    mine = dict.fromkeys(("queries", "foreign", "empty", "refused", "errors"), 0)
    try:
        for n in range(max_queries):
            if time.monotonic() > deadline:
                break
            tenant = (A, B)[(n + index) % 2]
            mine["queries"] += 1
            try:
                with tenant_context(tenant), connection.cursor() as cursor:
                    cursor.execute("SELECT tenant_id::text FROM rlsapp_project")
                    rows = [row[0] for row in cursor.fetchall()]
            except TenantScopeMismatchError:
                mine["refused"] += 1
                continue
            except Exception as error:  # counted, and the first one shown
                mine["errors"] += 1
                sys.stderr.write(f"{type(error).__name__}: {error}\n")
                continue
            mine["foreign"] += sum(1 for row in rows if row != tenant)
            mine["empty"] += not rows
    finally:
        connection.close()
        with lock:
            for key, value in mine.items():
                totals[key] += value


def main(threads: int, max_queries: int, seconds: float) -> None:
    totals = dict.fromkeys(("queries", "foreign", "empty", "refused", "errors"), 0)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    pool = [
        threading.Thread(target=worker, args=(i, max_queries, deadline, totals, lock))
        for i in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    sys.stdout.write(json.dumps(totals) + "\n")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
