"""Shared set-up of the rate-limit benchmarks: Django for django-ratelimit, one Redis.

Both libraries use the same Redis server on loopback (database 15, keys under a per-run
prefix that is deleted afterwards; nothing else in the database is touched).
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REDIS_BASE = os.environ.get("NETRUN_BENCH_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_URL = f"{REDIS_BASE}/15"
RUN = uuid.uuid4().hex[:8]
DJANGO_PREFIX = f"bench:{RUN}:dr:"
NETRUN_PREFIX = f"bench:{RUN}:nr:"


def setup_django() -> None:
    """Minimal settings: django-ratelimit keeps its counters in Django's Redis cache."""
    import django
    from django.conf import settings

    if not REDIS_URL.startswith(("redis://127.0.0.1", "redis://localhost")):
        raise SystemExit("the benchmarks run against a loopback Redis only")
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only",  # noqa: S106 - a throwaway settings object
        INSTALLED_APPS=["django_ratelimit"],
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
            }
        },
        RATELIMIT_CACHE_PREFIX=DJANGO_PREFIX,
        # The check complains about nothing here; silence the one that wants a shared cache.
        SILENCED_SYSTEM_CHECKS=["django_ratelimit.E003", "django_ratelimit.W001"],
    )
    django.setup()


def request(address: str = "192.0.2.1") -> Any:
    from django.test import RequestFactory

    return RequestFactory().get("/", REMOTE_ADDR=address)


def cleanup() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for pattern in (f"{DJANGO_PREFIX}*", f"*{NETRUN_PREFIX}*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    client.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
