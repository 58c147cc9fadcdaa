"""DRF throttles on the netrun core: exact sliding windows, shared through the backend.

::

    REST_FRAMEWORK = {
        "EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler",
        "DEFAULT_THROTTLE_CLASSES": [
            "netrun.ratelimit.drf.NetrunAnonRateThrottle",
            "netrun.ratelimit.drf.NetrunUserRateThrottle",
        ],
        "DEFAULT_THROTTLE_RATES": {"anon": "100/h", "user": "1000/h", "tenant": "10000/h"},
    }

or per view ``throttle_classes = [NetrunTenantRateThrottle]``, or a subclass with ``rate``,
``scope``, ``key`` (a key spec of :mod:`netrun.ratelimit.keys`) and ``cost``. A refused
request raises DRF's ``Throttled`` with the exact wait, which netrun.errors answers as the 429
envelope with ``Retry-After``; ``RateLimitMiddleware`` adds the ``RateLimit-*`` headers.

Unlike DRF's own throttles, the client IP comes from ``NETRUN_RATELIMIT_TRUSTED_PROXY_COUNT``
(DRF trusts the whole ``X-Forwarded-For`` header unless ``NUM_PROXIES`` is set), and counts
live in the netrun backend rather than the cache, so they are atomic across processes.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import BaseThrottle

from netrun.ratelimit._decision import Decision
from netrun.ratelimit._django import limiter_for, record
from netrun.ratelimit._rate import Rate, parse_rate
from netrun.ratelimit.conf import conf
from netrun.ratelimit.keys import KeyFunc, ip, resolve_key

__all__ = [
    "NetrunAnonRateThrottle",
    "NetrunRateThrottle",
    "NetrunTenantRateThrottle",
    "NetrunUserRateThrottle",
]


class NetrunRateThrottle(BaseThrottle):
    """Limit by ``key`` at ``rate`` (or ``DEFAULT_THROTTLE_RATES[scope]``), ``cost`` per request."""

    rate: str | Rate | None = None
    scope: str | None = None
    key: str | KeyFunc = "user_or_ip"
    cost: int = 1

    decision: Decision | None

    def __init__(self) -> None:
        self.decision = None

    def get_rate(self) -> Rate | None:
        """The rate, read at each request so ``override_settings`` is seen."""
        if self.rate is not None:
            return parse_rate(self.rate)
        if self.scope is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a rate or a scope")
        from rest_framework.settings import api_settings

        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(
                f"No rate for scope {self.scope!r} in REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']"
            )
        value: Any = rates[self.scope]
        # DRF's own convention: a scope mapped to None is not throttled.
        return None if value is None else parse_rate(value)

    def get_cost(self, request: Any, view: Any) -> int:
        """Units this request consumes; override for cost-weighted endpoints."""
        return self.cost

    def group(self, view: Any) -> str:
        return f"drf.{self.scope or type(view).__name__}"

    def allow_request(self, request: Any, view: Any) -> bool:
        if not conf.enabled:
            return True
        rate = self.get_rate()
        if rate is None:
            return True
        key = resolve_key(self.key, f"{self.group(view)}:{rate}", request)
        if key is None:
            return True
        self.decision = limiter_for(rate).hit(key, self.get_cost(request, view))
        record(request, self.decision)
        return self.decision.allowed

    def wait(self) -> float | None:
        if self.decision is None or self.decision.allowed:
            return None
        return self.decision.retry_after


class NetrunUserRateThrottle(NetrunRateThrottle):
    """Authenticated users by primary key, anonymous visitors by IP (DRF's ``user`` scope)."""

    scope = "user"
    key = "user_or_ip"


def _anonymous_ip(group: str, request: Any) -> str | None:
    account = getattr(request, "user", None)
    if account is not None and account.is_authenticated:
        return None
    return ip(group, request)


class NetrunAnonRateThrottle(NetrunRateThrottle):
    """Anonymous visitors by IP; authenticated users pass (DRF's ``anon`` scope)."""

    scope = "anon"
    key = staticmethod(_anonymous_ip)


class NetrunTenantRateThrottle(NetrunRateThrottle):
    """The current tenant; requests without one pass (scope ``tenant``)."""

    scope = "tenant"
    key = "tenant"
