"""Row-level security overhead: a tenant's list and count queries with RLS on versus off.

Same database, data and indexes in one run; the app connects as a NOSUPERUSER NOBYPASSRLS
NOINHERIT role that does not own the table, and the query keeps the ORM's own
``tenant_id = %s`` filter (the ORM wall) in both runs, so the ratio is what the second wall
costs. Also times the per-request ``set_config`` that writes the tenant.

    python bench/rbac_rls.py [--tenants 100] [--rows 2000] [--iterations 500]

Needs the PostgreSQL server on 127.0.0.1 (admin DSN in NETRUN_TEST_POSTGRES_DSN).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable

import psycopg

from netrun.rbac.db import _sql

ADMIN = os.environ.get("NETRUN_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def timed(fn: Callable[[], object], iterations: int) -> float:
    """Median microseconds per call, after a warm-up."""
    for _ in range(min(50, iterations)):
        fn()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--rows", type=int, default=2000, help="rows per tenant")
    parser.add_argument("--iterations", type=int, default=500)
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
        with psycopg.connect(f"postgresql://{owner}@{host}/{db}", autocommit=True) as own:
            own.execute(
                "CREATE TABLE item (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL, "
                "title text NOT NULL, status text NOT NULL)"
            )
            tenants = [str(uuid.uuid4()) for _ in range(args.tenants)]
            own.execute(
                "INSERT INTO item (tenant_id, title, status) "
                "SELECT t::uuid, 'item ' || g, CASE WHEN g %% 3 = 0 THEN 'open' ELSE 'done' END "
                "FROM unnest(%s::text[]) t, generate_series(1, %s) g",
                (tenants, args.rows),
            )
            own.execute("CREATE INDEX item_tenant ON item (tenant_id, id)")
            own.execute("VACUUM ANALYZE item")  # index-only scans need the visibility map
            own.execute(f"GRANT SELECT ON item TO {app}".encode())
            predicate = f"tenant_id = {_sql.current_tenant_expr('uuid')}"
            enable = _sql.enable_statements(quote, "item", predicate, app_role=app)
            disable = _sql.disable_statements(quote, "item")

            with psycopg.connect(f"postgresql://{app}@{host}/{db}", autocommit=True) as conn:
                tenant = tenants[len(tenants) // 2]
                conn.execute(_sql.SET_TENANT_SQL, (tenant,))
                list_sql = (
                    "SELECT id, title, status FROM item WHERE tenant_id = %s ORDER BY id LIMIT 50"
                )
                count_sql = "SELECT count(*) FROM item WHERE tenant_id = %s"

                def run(sql: str) -> Callable[[], object]:
                    return lambda: conn.execute(sql, (tenant,)).fetchall()

                results: dict[str, dict[str, float]] = {}
                for mode, statements in (("off", disable), ("on", enable)):
                    for statement in statements:
                        own.execute(statement.encode())
                    assert conn.execute(count_sql, (tenant,)).fetchone() == (args.rows,)
                    results[mode] = {
                        "list": timed(run(list_sql), args.iterations),
                        "count": timed(run(count_sql), args.iterations),
                    }
                # Second pass with RLS off again, so drift does not pass for overhead.
                for statement in disable:
                    own.execute(statement.encode())
                results["off2"] = {
                    "list": timed(run(list_sql), args.iterations),
                    "count": timed(run(count_sql), args.iterations),
                }
                set_cost = timed(
                    lambda: conn.execute(_sql.SET_TENANT_SQL, (tenant,)), args.iterations
                )
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)".encode())
            admin.execute(f"DROP ROLE IF EXISTS {app}".encode())
            admin.execute(f"DROP ROLE IF EXISTS {owner}".encode())

    total = args.tenants * args.rows
    print(f"data: {args.tenants} tenants x {args.rows} rows = {total} rows; index (tenant_id, id)")
    print(f"median of {args.iterations} runs, microseconds")
    for query in ("list", "count"):
        off = min(results["off"][query], results["off2"][query])
        on = results["on"][query]
        print(
            f"{query:6s} RLS off {off:8.1f}  RLS on {on:8.1f}  ratio {on / off:5.2f}x (goal <= 1.10x)"
        )
    print(f"set_config per request: {set_cost:.1f} us (one round trip, once per request/task)")


if __name__ == "__main__":
    main()
