"""Django glue: configure Django's native psycopg pool from :class:`PoolConfig`.

Django 5.1+ pools connections itself when ``DATABASES[alias]["OPTIONS"]["pool"]`` is set;
:func:`database_settings` builds that entry from the same ``DB_*`` settings the netrun pools
use::

    # settings.py
    from netrun.db_pool.conf import PoolConfig
    from netrun.db_pool.django import database_settings

    DATABASES = {"default": database_settings(PoolConfig())}

:func:`django_pool_metrics` reads the pools Django opened, in the same :class:`PoolMetrics`
shape as the netrun pools, for the ``netrun_db_pool`` command and the Prometheus collector.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import connections as default_connections
from django.db.utils import ConnectionHandler

from netrun.db_pool._metrics import PoolMetrics
from netrun.db_pool._redact import redact_url
from netrun.db_pool._tenant import clear_tenant
from netrun.db_pool.conf import PoolConfig
from netrun.errors import ConfigurationError

__all__ = ["database_settings", "django_pool_metrics", "pool_options", "pooled_aliases"]

# libpq keywords that have a DATABASES key of their own.
_KEYS = {"dbname": "NAME", "user": "USER", "password": "PASSWORD", "host": "HOST", "port": "PORT"}


def pool_options(config: PoolConfig, *, reset_tenant: bool = True) -> dict[str, Any]:
    """The ``OPTIONS["pool"]`` dict: psycopg_pool arguments from ``config``.

    ``reset_tenant`` adds a ``reset`` callback that clears ``netrun.tenant_id`` when Django
    returns a connection (one round trip, run by the pool's worker thread, not the request).
    Django passes ``check`` itself (from ``CONN_HEALTH_CHECKS``), so it is not set here.
    """
    options: dict[str, Any] = {
        "min_size": config.min_size,
        "max_size": config.max_size,
        "timeout": config.timeout,
        "max_lifetime": config.max_lifetime,
        "max_idle": config.max_idle,
        "reconnect_timeout": config.reconnect_timeout,
        "max_waiting": config.max_waiting,
        "name": config.pool_name,
    }
    if reset_tenant:
        options["reset"] = clear_tenant
    return options


def database_settings(
    config: PoolConfig,
    *,
    engine: str = "django.db.backends.postgresql",
    health_checks: bool = True,
    reset_tenant: bool = True,
    options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``DATABASES`` entry for ``config.url`` that uses Django's native pool.

    ``CONN_MAX_AGE`` is 0 (Django refuses persistent connections with a pool).
    ``health_checks`` sets ``CONN_HEALTH_CHECKS``, which makes the pool check each
    connection it hands out (one round trip) so a restarted server costs no failed request.
    ``engine`` may name a subclass of Django's PostgreSQL backend (netrun.rbac's).
    Extra libpq parameters in the URL (``?sslmode=require``) and ``options`` go to
    ``OPTIONS``.
    """
    from psycopg.conninfo import conninfo_to_dict

    url = config.url_value()
    if not url:
        raise ConfigurationError(
            "database_settings() needs a database URL: set DB_URL (or NETRUN_DB_POOL_URL)."
        )
    try:
        params = conninfo_to_dict(url)
    except Exception:
        # The parser's message may quote the URL, password included.
        raise ConfigurationError(
            "DB_URL is not a PostgreSQL URL or connection string.",
            database=redact_url(url),
        ) from None
    entry: dict[str, Any] = {
        "ENGINE": engine,
        "NAME": "",
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": health_checks,
    }
    extra: dict[str, Any] = {}
    for key, value in params.items():
        if key in _KEYS:
            entry[_KEYS[key]] = "" if value is None else str(value)
        elif value is not None:
            extra[key] = value
    extra.setdefault("connect_timeout", max(1, round(config.connect_timeout)))
    extra.update(options or {})
    extra["pool"] = pool_options(config, reset_tenant=reset_tenant)
    entry["OPTIONS"] = extra
    return entry


def pooled_aliases(handler: ConnectionHandler | None = None) -> list[str]:
    """The database aliases configured with ``OPTIONS["pool"]``."""
    handler = handler or default_connections
    return [
        alias for alias in handler if (handler.settings[alias].get("OPTIONS") or {}).get("pool")
    ]


def _alias_url(settings_dict: Mapping[str, Any]) -> str:
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    user = settings_dict.get("USER") or ""
    # Built without the password, so nothing needs masking.
    userinfo = f"{user}@" if user else ""
    return redact_url(f"postgresql://{userinfo}{host}{port}/{settings_dict.get('NAME') or ''}")


def django_pool_metrics(
    handler: ConnectionHandler | None = None, *, open_pools: bool = False
) -> list[PoolMetrics]:
    """Metrics of Django's native pools, one per pooled alias.

    A pool Django has not opened yet reports zeros, unless ``open_pools`` opens it (the
    management command does, to show what the configuration yields).
    """
    handler = handler or default_connections
    result: list[PoolMetrics] = []
    for alias in pooled_aliases(handler):
        wrapper = handler[alias]
        # Only the PostgreSQL backend has a pool; the stubs' BaseDatabaseWrapper does not.
        pool = getattr(wrapper, "pool", None)
        if pool is None:
            continue
        if open_pools:
            pool.open(wait=False)
        result.append(
            PoolMetrics.from_pool_stats(
                f"django:{alias}", _alias_url(wrapper.settings_dict), pool.get_stats()
            )
        )
    return result
