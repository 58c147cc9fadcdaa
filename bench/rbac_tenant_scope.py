"""What transaction scope costs: session vs transaction ``NETRUN_RBAC_TENANT_SCOPE``.

A table under netrun's tenant policy, read through Django on netrun's RLS backend as a
NOSUPERUSER NOBYPASSRLS NOINHERIT role, on persistent connections straight to PostgreSQL.
Three connections, one per mode, fixed when each connects:

* ``session``: the tenant written once per change (what runs without a pooler);
* ``transaction``: ``set_config(..., true)`` first in every transaction, autocommit
  statements wrapped in ``BEGIN; set_config`` / ``COMMIT``;
* ``session+check``: session scope reading the tenant back in every transaction, what
  session scope pays once it has detected a pooler (``NETRUN_RBAC_TENANT_SESSION_CHECK``).

Two workloads, each timed for the three modes back to back in rotating order (machine load
falls on all alike), reported as medians and median per-iteration ratios to session:

* ``autocommit query``: one indexed count of the tenant's rows, the tenant unchanged;
* ``request, 3 reads``: a tenant switch (as at a request's start), three autocommit reads;
* ``atomic request``: the same inside one ``atomic`` block (``ATOMIC_REQUESTS = True``);
* ``writing request``: a tenant switch, two autocommit reads, then an ``atomic`` block with a
  read and an update (its commit waits for the WAL flush, so it dominates).

    python bench/rbac_tenant_scope.py [--rows 200] [--iterations 2000]

Needs the PostgreSQL server on 127.0.0.1 (admin DSN in NETRUN_TEST_POSTGRES_DSN).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from netrun.rbac.db import _sql

ADMIN = os.environ.get("NETRUN_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
MODES = {
    "session": ("session", "off"),
    "transaction": ("transaction", "auto"),
    "session+check": ("session", "always"),
}


def measure(host: str, db: str, app: str, tenants: list[str], iterations: int) -> dict[str, Any]:
    from urllib.parse import urlsplit

    import django
    from django.conf import settings

    parts = urlsplit(f"postgresql://{app}@{host}/{db}")
    entry = {
        "ENGINE": "netrun.rbac.db.backends.postgresql",
        "NAME": db,
        "USER": app,
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": None,
        "DISABLE_SERVER_SIDE_CURSORS": True,
    }
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes"],
        DATABASES={"default": dict(entry), **{mode: dict(entry) for mode in MODES}},
    )
    django.setup()
    from django.db import connections, transaction

    from netrun.core.context import tenant_context

    # The scope is read when a connection opens: open each under its own settings.
    for mode, (scope, check) in MODES.items():
        settings.NETRUN_RBAC_TENANT_SCOPE = scope
        settings.NETRUN_RBAC_TENANT_SESSION_CHECK = check
        connections[mode].ensure_connection()

    def query(alias: str) -> int:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM item")
            return int(cursor.fetchone()[0])

    def write_request(alias: str, index: int) -> None:
        with tenant_context(tenants[index % 2]):
            query(alias)
            query(alias)
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                cursor.execute("SELECT count(*) FROM item")
                cursor.execute(
                    "UPDATE item SET hits = hits + 1 WHERE id = (SELECT min(id) FROM item)"
                )

    def read_request(alias: str, index: int) -> None:
        with tenant_context(tenants[index % 2]):
            for _ in range(3):
                query(alias)

    def atomic_read_request(alias: str, index: int) -> None:
        with tenant_context(tenants[index % 2]), transaction.atomic(using=alias):
            for _ in range(3):
                query(alias)

    with tenant_context(tenants[0]):
        counts = {mode: query(mode) for mode in MODES}
    assert len(set(counts.values())) == 1, counts
    assert counts["session"] > 0, counts

    def timed(run: Callable[[str, int], None], rounds: int) -> dict[str, list[float]]:
        samples: dict[str, list[float]] = {mode: [] for mode in MODES}
        names = list(MODES)
        warm_up = min(200, rounds // 5)
        for index in range(rounds + warm_up):
            order = names[index % 3 :] + names[: index % 3]
            for mode in order:
                start = time.perf_counter()
                run(mode, index)
                if index >= warm_up:
                    samples[mode].append(time.perf_counter() - start)
        return samples

    def one_query(mode: str, index: int) -> None:
        with tenant_context(tenants[0]):
            query(mode)

    results = {
        "autocommit query": timed(one_query, iterations),
        "request, 3 reads": timed(read_request, iterations),
        "atomic request": timed(atomic_read_request, iterations),
        # Each commits a write (an fsync): fewer rounds.
        "writing request": timed(write_request, max(50, iterations // 10)),
    }
    for alias in connections:
        connections[alias].close()
    return results


def report(results: dict[str, dict[str, list[float]]]) -> None:
    for workload, samples in results.items():
        base = samples["session"]
        for mode, values in samples.items():
            ratio = statistics.median(v / b for v, b in zip(values, base, strict=True))
            print(
                f"{workload:17s} {mode:14s} median {statistics.median(values) * 1e6:8.1f} us  "
                f"ratio to session {ratio:5.2f}x"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200, help="rows per tenant")
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()

    suffix = uuid.uuid4().hex[:8]
    db, owner, app = f"netrun_bench_{suffix}", f"bench_owner_{suffix}", f"bench_app_{suffix}"
    base = ADMIN.rpartition("/")[0]
    host = base.partition("@")[2]
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {db}".encode())
        admin.execute(f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS".encode())
        admin.execute(f"CREATE ROLE {app} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT".encode())
    try:
        with psycopg.connect(f"{base}/{db}", autocommit=True) as admin_db:
            admin_db.execute(f"ALTER SCHEMA public OWNER TO {owner}".encode())
        quote = lambda name: f'"{name}"'  # noqa: E731 - identifiers are ours
        tenants = [str(uuid.uuid4()) for _ in range(2)]
        with psycopg.connect(f"postgresql://{owner}@{host}/{db}", autocommit=True) as own:
            own.execute(
                b"CREATE TABLE item (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL, "
                b"hits integer NOT NULL DEFAULT 0)"
            )
            own.execute(
                b"INSERT INTO item (tenant_id) SELECT t::uuid FROM unnest(%s::text[]) t, "
                b"generate_series(1, %s) g",
                (tenants, args.rows),
            )
            own.execute(b"CREATE INDEX item_tenant ON item (tenant_id, id)")
            own.execute(b"VACUUM ANALYZE item")
            own.execute(f"GRANT SELECT, UPDATE ON item TO {app}".encode())
            predicate = f"tenant_id = {_sql.current_tenant_expr('uuid')}"
            for statement in _sql.enable_statements(quote, "item", predicate, app_role=app):
                own.execute(statement.encode())
        started = time.perf_counter()
        report(measure(host, db, app, tenants, args.iterations))
        print(
            f"({args.iterations} iterations per mode and workload, {time.perf_counter() - started:.0f} s)"
        )
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)".encode())
            admin.execute(f"DROP ROLE IF EXISTS {app}".encode())
            admin.execute(f"DROP ROLE IF EXISTS {owner}".encode())


if __name__ == "__main__":
    main()
