"""``manage.py netrun_db_pool``: the pools' metrics, and a health check.

Shows Django's native pools (aliases with ``OPTIONS["pool"]``, opened to report real
numbers) and the netrun pools open in this process; ``--url`` adds a pool built from
``DB_URL`` / ``NETRUN_DB_POOL_URL``. ``--health`` borrows a connection from each netrun pool
and exits 1 when one fails. ``--json`` prints one JSON document.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netrun.core.streams import DocumentCommandMixin
from netrun.db_pool._metrics import PoolMetrics
from netrun.db_pool._registry import active_pools
from netrun.db_pool.django import django_pool_metrics

COLUMNS = ("name", "size", "idle", "in_use", "waiting", "acquisitions", "acquire_errors")


# The mixin keeps stdout for the report: logs (system checks' included) go to stderr.
class Command(DocumentCommandMixin, BaseCommand):
    help = "Show the database pools' metrics; --health checks each netrun pool."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print JSON.")
        parser.add_argument(
            "--health", action="store_true", help="Borrow a connection from each netrun pool."
        )
        parser.add_argument(
            "--url", action="store_true", help="Also open a pool from DB_URL (PoolConfig)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        own = None
        if options["url"]:
            own = self._open_configured_pool()
        try:
            metrics: list[PoolMetrics] = [*django_pool_metrics(open_pools=True)]
            health: list[dict[str, Any]] = []
            for pool in active_pools():
                if options["health"] and hasattr(pool, "health_check") and not _is_async(pool):
                    result = pool.health_check()
                    health.append(result.as_dict() | {"name": pool.name})
                    metrics.append(result.metrics)
                else:
                    metrics.append(pool.metrics())
        finally:
            if own is not None:
                own.close()
        self._report(metrics, health, as_json=options["json"])
        if any(not item["healthy"] for item in health):
            raise CommandError(
                "unhealthy pool(s): "
                + ", ".join(item["name"] for item in health if not item["healthy"])
            )

    def _open_configured_pool(self) -> Any:
        from netrun.config import get_settings
        from netrun.db_pool.conf import PoolConfig
        from netrun.db_pool.pool import DatabasePool

        config = get_settings(PoolConfig)
        if config.url is None:
            raise CommandError("--url: DB_URL (or NETRUN_DB_POOL_URL) is not set.")
        pool = DatabasePool(config.model_copy(update={"min_size": min(config.min_size, 1)}))
        pool.initialize()
        return pool

    def _report(
        self, metrics: list[PoolMetrics], health: list[dict[str, Any]], *, as_json: bool
    ) -> None:
        if as_json:
            self.stdout.write(
                json.dumps({"pools": [m.as_dict() for m in metrics], "health": health}, indent=2)
            )
            return
        if not metrics:
            self.stdout.write("No database pools: set OPTIONS['pool'] or open a netrun pool.")
            return
        rows = [COLUMNS, *[tuple(str(getattr(m, c)) for c in COLUMNS) for m in metrics]]
        widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
        for m in metrics:
            self.stdout.write(f"{m.name}: {m.database}")
        for item in health:
            status = "healthy" if item["healthy"] else f"UNHEALTHY ({item['error']})"
            self.stdout.write(f"{item['name']}: {status}, {item['latency_ms']} ms")


def _is_async(pool: Any) -> bool:
    from netrun.db_pool.pool import AsyncDatabasePool

    return isinstance(pool, AsyncDatabasePool)
