"""Django views of ``netrun.core``: the health endpoint.

``urlpatterns += [path("health/", netrun.core.views.health)]`` gives load balancers and
orchestrators one JSON answer: is every database and the default cache reachable?
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import structlog
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

__all__ = ["health"]

logger = structlog.get_logger(__name__)


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result: dict[str, Any] = {"ok": True, **check()}
    except Exception as error:
        # The body says only which check failed: driver messages can name hosts and users.
        logger.warning("health_check_failed", check=check.__name__, error_type=type(error).__name__)
        result = {"ok": False, "error": type(error).__name__}
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def _database(alias: str) -> Any:
    def database() -> dict[str, Any]:
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"vendor": connection.vendor}

    return database


def _cache() -> dict[str, Any]:
    cache = caches["default"]
    key = f"netrun:health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    try:
        if cache.get(key) != "1":
            raise LookupError("cache did not return the value just written")
    finally:
        cache.delete(key)
    return {"backend": type(cache).__name__}


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """200 with ``{"status": "ok", ...}`` when every check passes, else 503."""
    checks: dict[str, dict[str, Any]] = {}
    for alias in connections:
        checks[f"database:{alias}" if alias != "default" else "database"] = _timed(_database(alias))
    checks["cache"] = _timed(_cache)
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503
    )
