"""Django views of ``netrun.core``: the health endpoint.

``urlpatterns += [path("health/", netrun.core.views.health)]`` gives load balancers and
orchestrators one JSON answer: is every dependency reachable, and if not, which one?

=====================  =====================================================================
Check                  What it does
=====================  =====================================================================
``database``           ``SELECT 1`` on each alias of ``DATABASES`` (``database:<alias>``
                       for aliases other than ``default``)
``cache``              write, read and delete a key in each alias of ``CACHES``
                       (``cache:<alias>``); the cache is Redis in production, and the JWT
                       denylist lives there
``broker``             only when ``CELERY_BROKER_URL`` is set and is not ``memory://``:
                       connect to the broker (kombu), with a 2 second timeout
=====================  =====================================================================

Status codes: **200** ``{"status": "ok", "down": [], "checks": {...}}`` when every check
passes; **503** ``{"status": "error", "down": ["cache"], "checks": {...}}`` when any fails,
``down`` naming the failed checks. A failed check's entry says only the exception type:
driver messages can name hosts and users.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

__all__ = ["health"]

logger = structlog.get_logger(__name__)

#: Seconds the broker check waits for a connection.
BROKER_TIMEOUT = 2.0

Check = Callable[[], dict[str, Any]]


def _timed(name: str, check: Check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result: dict[str, Any] = {"ok": True, **check()}
    except Exception as error:
        # The body says only which check failed: driver messages can name hosts and users.
        logger.warning("health_check_failed", check=name, error_type=type(error).__name__)
        result = {"ok": False, "error": type(error).__name__}
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _database(alias: str) -> Check:
    def database() -> dict[str, Any]:
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"vendor": connection.vendor}

    return database


def _cache(alias: str) -> Check:
    def cache_check() -> dict[str, Any]:
        cache = caches[alias]
        key = f"netrun:health:{uuid.uuid4().hex}"
        cache.set(key, "1", timeout=10)
        try:
            if cache.get(key) != "1":
                raise LookupError("cache did not return the value just written")
        finally:
            cache.delete(key)
        return {"backend": type(cache).__name__}

    return cache_check


def _broker(url: str) -> Check:
    def broker() -> dict[str, Any]:
        from kombu.connection import Connection

        with Connection(url, connect_timeout=BROKER_TIMEOUT) as connection:  # type: ignore[no-untyped-call]
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
            return {"transport": connection.transport_cls}

    return broker


def _name(kind: str, alias: str) -> str:
    return kind if alias == "default" else f"{kind}:{alias}"


def _checks() -> dict[str, Check]:
    checks = {_name("database", alias): _database(alias) for alias in connections}
    checks.update({_name("cache", alias): _cache(alias) for alias in settings.CACHES})
    broker_url = getattr(settings, "CELERY_BROKER_URL", None)
    if isinstance(broker_url, str) and broker_url and not broker_url.startswith("memory://"):
        checks["broker"] = _broker(broker_url)
    return checks


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """200 with ``{"status": "ok", ...}`` when every check passes, else 503 naming the failed."""
    results = {name: _timed(name, check) for name, check in _checks().items()}
    down = [name for name, result in results.items() if not result["ok"]]
    return JsonResponse(
        {"status": "error" if down else "ok", "down": down, "checks": results},
        status=503 if down else 200,
    )
