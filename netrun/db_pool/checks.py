"""System checks of ``netrun.db_pool``, registered in ``NetrunDbPoolConfig.ready()``.

======================  =====================================================================
ID                      Reported when
======================  =====================================================================
``netrun.db_pool.E001``  a database alias sets ``OPTIONS["pool"]`` with ``CONN_MAX_AGE`` other
                         than 0 (Django refuses it at the first query)
``netrun.db_pool.E002``  a database alias sets ``OPTIONS["pool"]`` but psycopg_pool is not
                         installed
``netrun.db_pool.E003``  ``OPTIONS["pool"]`` holds ``check``, which Django passes itself (a
                         ``TypeError`` at the first query): use ``CONN_HEALTH_CHECKS``
======================  =====================================================================

``DB_*`` / ``NETRUN_DB_POOL_*`` values that do not validate are ``netrun.config.E007``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error

from netrun.core.deps import is_available

__all__ = ["check_database_pools"]


def check_database_pools(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E001-E003 for every alias in ``DATABASES`` that enables Django's pool."""
    messages: list[CheckMessage] = []
    databases: dict[str, dict[str, Any]] = getattr(settings, "DATABASES", {})
    for alias, entry in databases.items():
        pool = (entry.get("OPTIONS") or {}).get("pool")
        if not pool:
            continue
        obj = f"DATABASES[{alias!r}]"
        if entry.get("CONN_MAX_AGE", 0) != 0:
            messages.append(
                Error(
                    f"{obj} uses Django's connection pool with CONN_MAX_AGE="
                    f"{entry.get('CONN_MAX_AGE')!r}; Django refuses persistent connections "
                    "with a pool.",
                    hint="Set CONN_MAX_AGE to 0 (netrun.db_pool.django.database_settings does).",
                    obj=obj,
                    id="netrun.db_pool.E001",
                )
            )
        if not is_available("psycopg_pool"):
            messages.append(
                Error(
                    f"{obj} sets OPTIONS['pool'] but psycopg_pool is not installed.",
                    hint='pip install "netrun[postgres]"',
                    obj=obj,
                    id="netrun.db_pool.E002",
                )
            )
        if isinstance(pool, dict) and "check" in pool:
            messages.append(
                Error(
                    f"{obj} sets OPTIONS['pool']['check']; Django passes the pool's check "
                    "itself, so the first connection fails with a TypeError.",
                    hint="Remove 'check' and set CONN_HEALTH_CHECKS = True.",
                    obj=obj,
                    id="netrun.db_pool.E003",
                )
            )
    return messages
