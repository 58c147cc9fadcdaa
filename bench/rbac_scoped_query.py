"""A tenant-scoped list query's overhead against the same query unscoped.

Same data, same index, one run: ``Ticket.objects.filter(status="open")[:50]`` for one tenant
through the ORM wall (tenant from the context, filter added at compile time) versus the plain
Django queryset with the same ``tenant_id`` filter written by hand. Both issue identical SQL;
the difference is netrun's Python-side cost. Also the count query. Rounds are interleaved and
the best round is reported; the ratio is scoped time over unscoped time (1.00 = no overhead).

    python bench/rbac_scoped_query.py [--tenants 20] [--rows 500] [--queries 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--rows", type=int, default=500, help="tickets per tenant")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.core.management import call_command
    from django.db.models import QuerySet

    from netrun.core.context import tenant_context
    from netrun.rbac.models import Tenant
    from netrun.rbac.scope import unscoped
    from tests.rbac.testapp.models import Ticket

    call_command("migrate", verbosity=0)
    tenants = [Tenant.objects.create(slug=f"t{i}", name=f"T{i}") for i in range(args.tenants)]
    with unscoped(reason="benchmark data"):
        for tenant in tenants:
            Ticket.objects.bulk_create(
                Ticket(title=f"ticket {n}", tenant=tenant, status="open" if n % 2 else "closed")
                for n in range(args.rows)
            )
    target = str(tenants[len(tenants) // 2].pk)

    def scoped_list() -> None:
        list(Ticket.objects.filter(status="open")[:50])

    def plain_list() -> None:
        list(QuerySet(Ticket).filter(tenant_id=target, status="open")[:50])

    def scoped_count() -> None:
        Ticket.objects.filter(status="open").count()

    def plain_count() -> None:
        QuerySet(Ticket).filter(tenant_id=target, status="open").count()

    def timed(function: Callable[[], None]) -> float:
        start = time.perf_counter()
        for _ in range(args.queries):
            function()
        return (time.perf_counter() - start) / args.queries

    with tenant_context(target):
        best: dict[str, float] = {}
        for _ in range(args.rounds):
            for name, function in (
                ("scoped_list", scoped_list),
                ("plain_list", plain_list),
                ("scoped_count", scoped_count),
                ("plain_count", plain_count),
            ):
                best[name] = min(best.get(name, float("inf")), timed(function))

    print(
        f"data: {args.tenants} tenants x {args.rows} tickets, SQLite in memory, tenant_id indexed"
    )
    for kind in ("list", "count"):
        scoped, plain = best[f"scoped_{kind}"], best[f"plain_{kind}"]
        print(
            f"{kind:5}  scoped {scoped * 1e6:8.1f} us   unscoped {plain * 1e6:8.1f} us   "
            f"ratio {scoped / plain:.2f}x"
        )


if __name__ == "__main__":
    main()
