"""Django application configuration for ``netrun.db_pool``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

_collector_registered = False


def register_prometheus_collector() -> bool:
    """Register the pool collector on prometheus-client's default registry, once.

    Returns whether a collector is registered; ``False`` when prometheus-client is missing.
    """
    global _collector_registered
    from netrun.core.deps import is_available

    if _collector_registered:
        return True
    if not is_available("prometheus_client"):
        return False
    from prometheus_client import REGISTRY  # type: ignore[import-not-found,unused-ignore]

    from netrun.db_pool.django import django_pool_metrics
    from netrun.db_pool.prometheus import PoolCollector, netrun_pool_metrics

    REGISTRY.register(PoolCollector(lambda: [*netrun_pool_metrics(), *django_pool_metrics()]))
    _collector_registered = True
    return True


class NetrunDbPoolConfig(AppConfig):
    name = "netrun.db_pool"
    label = "netrun_db_pool"
    verbose_name = "Netrun database pool"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.config.receivers import connect_settings_receiver
        from netrun.db_pool.checks import check_database_pools

        # Not tagged "database": these checks only read settings, and Django 6.1 skips
        # database-tagged checks unless `check --database` names an alias.
        checks.register(check_database_pools)
        register_prometheus_collector()
        # conf is a cached BaseConfig: the one setting_changed receiver keeps it current.
        connect_settings_receiver()
