"""Row-level security overhead: a tenant's list and count queries with RLS on versus off.

Two tables in one database hold the same rows with the same index: ``item_off`` has no RLS,
``item_on`` has netrun's tenant policy (ENABLE + FORCE, ``USING``/``WITH CHECK`` on
``tenant_id = (SELECT nullif(current_setting('netrun.tenant_id', true), '')::uuid)``). The app
connects as a NOSUPERUSER NOBYPASSRLS NOINHERIT role that owns neither table, and both
queries keep the ORM's own ``tenant_id = <literal>`` filter (the ORM wall), sent the way
Django sends them (client-side binding), so the ratio is what the second wall costs. Each
iteration times the off and the on query back to back, alternating which goes first, so
machine load falls on both alike; reported as medians and as the median per-pair ratio.
Also times the per-request ``set_config`` that writes the tenant.

    python bench/rbac_rls.py [--tenants 100] [--rows 2000] [--iterations 2000]

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
GOAL = 1.10


def paired(
    cursor: psycopg.ClientCursor[tuple[object, ...]], sql: str, tenant: str, iterations: int
) -> tuple[float, float, float]:
    """Median microseconds off, on, and the median of per-pair on/off ratios."""
    off_sql, on_sql = sql.format(table="item_off"), sql.format(table="item_on")
    clock = time.perf_counter
    for _ in range(min(200, iterations)):
        cursor.execute(off_sql, (tenant,)).fetchall()
        cursor.execute(on_sql, (tenant,)).fetchall()
    off: list[float] = []
    on: list[float] = []
    for index in range(iterations):
        order = ((off_sql, off), (on_sql, on)) if index % 2 else ((on_sql, on), (off_sql, off))
        for statement, samples in order:
            start = clock()
            cursor.execute(statement, (tenant,)).fetchall()
            samples.append(clock() - start)
    ratio = statistics.median(b / a for a, b in zip(off, on, strict=True))
    return statistics.median(off) * 1e6, statistics.median(on) * 1e6, ratio


def orm_pairs(dsn: str, tenant: str, iterations: int) -> dict[str, tuple[float, float, float]]:
    """The same pairs through the Django ORM on netrun's RLS backend, in the tenant's context."""
    from urllib.parse import urlsplit

    import django
    from django.conf import settings

    parts = urlsplit(dsn)
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes"],
        DATABASES={
            "default": {
                "ENGINE": "netrun.rbac.db.backends.postgresql",
                "NAME": parts.path.lstrip("/"),
                "USER": parts.username or "",
                "HOST": parts.hostname or "",
                "PORT": str(parts.port or ""),
            }
        },
    )
    django.setup()
    from django.db import connection, models

    from netrun.core.context import tenant_context

    def model(table: str) -> type[models.Model]:
        meta = type("Meta", (), {"app_label": "bench", "db_table": table, "managed": False})
        fields = {
            "__module__": __name__,
            "Meta": meta,
            "tenant_id": models.UUIDField(),
            "title": models.TextField(),
            "status": models.TextField(),
        }
        return type(f"Item_{table}", (models.Model,), fields)

    off, on = model("item_off"), model("item_on")

    def pairs(run: Callable[[type[models.Model]], object]) -> tuple[float, float, float]:
        clock = time.perf_counter
        for _ in range(min(200, iterations)):
            run(off)
            run(on)
        samples: dict[type[models.Model], list[float]] = {off: [], on: []}
        for index in range(iterations):
            for item in (off, on) if index % 2 else (on, off):
                start = clock()
                run(item)
                samples[item].append(clock() - start)
        ratio = statistics.median(b / a for a, b in zip(samples[off], samples[on], strict=True))
        return statistics.median(samples[off]) * 1e6, statistics.median(samples[on]) * 1e6, ratio

    with tenant_context(tenant):
        rows = on.objects.filter(tenant_id=tenant).count()  # type: ignore[attr-defined]
        assert rows == off.objects.filter(tenant_id=tenant).count()  # type: ignore[attr-defined]
        results = {
            "list": pairs(
                lambda item: list(
                    item.objects.filter(tenant_id=tenant).order_by("id")[:50]  # type: ignore[attr-defined]
                )
            ),
            "count": pairs(lambda item: item.objects.filter(tenant_id=tenant).count()),  # type: ignore[attr-defined]
        }
    connection.close()
    return results


def report(level: str, results: dict[str, tuple[float, float, float]]) -> None:
    for query, (off, on, ratio) in results.items():
        verdict = "ok" if ratio <= GOAL else "OVER GOAL"
        print(
            f"{level:4s} {query:6s} RLS off {off:8.1f}  RLS on {on:8.1f}  "
            f"ratio {ratio:5.2f}x (goal <= {GOAL:.2f}x) {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--rows", type=int, default=2000, help="rows per tenant")
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
        tenants = [str(uuid.uuid4()) for _ in range(args.tenants)]
        with psycopg.connect(f"postgresql://{owner}@{host}/{db}", autocommit=True) as own:
            for table in ("item_off", "item_on"):
                own.execute(
                    f"CREATE TABLE {table} (id bigserial PRIMARY KEY, tenant_id uuid NOT NULL, "
                    "title text NOT NULL, status text NOT NULL)".encode()
                )
                insert = (
                    f"INSERT INTO {table} (tenant_id, title, status) "  # noqa: S608 - our tables
                    "SELECT t::uuid, 'item ' || g, CASE WHEN g %% 3 = 0 THEN 'open' ELSE 'done' END "
                    "FROM unnest(%s::text[]) t, generate_series(1, %s) g"
                )
                own.execute(insert.encode(), (tenants, args.rows))
                own.execute(f"CREATE INDEX {table}_tenant ON {table} (tenant_id, id)".encode())
                own.execute(f"VACUUM ANALYZE {table}".encode())  # index-only scans
                own.execute(f"GRANT SELECT ON {table} TO {app}".encode())
            predicate = f"tenant_id = {_sql.current_tenant_expr('uuid')}"
            for statement in _sql.enable_statements(quote, "item_on", predicate, app_role=app):
                own.execute(statement.encode())

        with psycopg.connect(
            f"postgresql://{app}@{host}/{db}", autocommit=True, cursor_factory=psycopg.ClientCursor
        ) as conn:
            tenant = tenants[len(tenants) // 2]
            cursor = conn.cursor()
            cursor.execute(_sql.SET_TENANT_SQL, (tenant,))
            for table in ("item_off", "item_on"):
                query = f"SELECT count(*) FROM {table}"  # noqa: S608 - our table names
                count = cursor.execute(query.encode()).fetchone()
                expected = args.rows if table == "item_on" else args.rows * args.tenants
                assert count == (expected,), (table, count)
            results = {
                "list": paired(
                    cursor,
                    "SELECT id, title, status FROM {table} WHERE tenant_id = %s ORDER BY id LIMIT 50",
                    tenant,
                    args.iterations,
                ),
                "count": paired(
                    cursor,
                    "SELECT count(*) FROM {table} WHERE tenant_id = %s",
                    tenant,
                    args.iterations,
                ),
            }
            samples = []
            for _ in range(args.iterations):
                start = time.perf_counter()
                cursor.execute(_sql.SET_TENANT_SQL, (tenant,))
                samples.append(time.perf_counter() - start)
            set_cost = statistics.median(samples) * 1e6
        orm = orm_pairs(f"postgresql://{app}@{host}/{db}", tenant, args.iterations)
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)".encode())
            admin.execute(f"DROP ROLE IF EXISTS {app}".encode())
            admin.execute(f"DROP ROLE IF EXISTS {owner}".encode())

    total = args.tenants * args.rows
    print(
        f"data: {args.tenants} tenants x {args.rows} rows = {total} rows per table; index (tenant_id, id)"
    )
    print(f"{args.iterations} interleaved pairs, medians in microseconds")
    print("ORM: Model.objects.filter(tenant_id=...) on netrun's backend; SQL: the same statements")
    report("ORM", orm)
    report("SQL", results)
    print(f"set_config per request: {set_cost:.1f} us (one round trip, once per request/task)")


if __name__ == "__main__":
    main()
