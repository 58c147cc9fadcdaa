"""A tenant's LLM policy is read from the database when the cache (Redis) is down.

Found by the load run (bench/loadtest.py, issue 18): with Redis killed, every summary request
answered 500 from ``get_tenant_policy``'s ``cache.get``. The cache is only a copy of the
database row, so its outage must cost a query, not the request.
"""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest
from django.test import override_settings

from netrun.llm.models import TenantPolicyRecord, get_tenant_policy

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    # Bound and released: nothing listens there, so every connection is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_with_the_redis_cache_down_the_policy_comes_from_the_database() -> None:
    TenantPolicyRecord.objects.create(tenant_id="acme", daily_budget_usd=Decimal("0.50"))
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }
    with override_settings(CACHES=down):
        import redis
        from django.core.cache import cache

        with pytest.raises(redis.ConnectionError):
            cache.get("probe")  # the cache really is unreachable
        policy = get_tenant_policy("acme")
        assert policy is not None
        assert policy.daily_budget == Decimal("0.50")
        # Nothing stale is served either: a change is read on the next call.
        TenantPolicyRecord.objects.filter(tenant_id="acme").update(daily_budget_usd=Decimal("0.10"))
        again = get_tenant_policy("acme")
        assert again is not None
        assert again.daily_budget == Decimal("0.10")
        assert get_tenant_policy("nobody") is None
