"""Netrun rate limits: exact, shared, cost-weighted limits for Django, DRF, FastAPI and LLMs.

Level 3. The core is framework-neutral::

    from netrun.ratelimit import RateLimiter, RedisBackend

    limiter = RateLimiter("100/m", RedisBackend("redis://127.0.0.1:6379/0"))
    decision = limiter.hit(f"user:{user_id}")          # Decision(allowed, limit, remaining, ...)
    tokens = RateLimiter("100000/m", backend, prefix="tpm:")
    tokens.hit(f"tenant:{tenant_id}", cost=1200)       # cost-weighted: TPM consumes N

Both backends keep a sliding-window log, so no interval of one period ever admits more than
the limit (a fixed window admits up to twice the limit around its boundary).

This module imports without Django installed or configured. The glue is referenced by dotted
path: ``netrun.ratelimit.decorators.ratelimit``, ``netrun.ratelimit.middleware.
RateLimitMiddleware``, ``netrun.ratelimit.drf.NetrunRateThrottle``, ``netrun.ratelimit.views``,
``netrun.ratelimit.interop`` (django-ratelimit), ``netrun.ratelimit.celery`` and
``netrun.ratelimit.contrib.fastapi``.
"""

from __future__ import annotations

from netrun.ratelimit._decision import Decision
from netrun.ratelimit._ip import client_ip
from netrun.ratelimit._limiter import RateLimiter
from netrun.ratelimit._rate import InvalidRateError, Rate, parse_rate
from netrun.ratelimit.backends import Backend, BackendUnavailableError, MemoryBackend, RedisBackend
from netrun.ratelimit.exceptions import RateLimited

__all__ = [
    "Backend",
    "BackendUnavailableError",
    "Decision",
    "InvalidRateError",
    "MemoryBackend",
    "Rate",
    "RateLimited",
    "RateLimiter",
    "RedisBackend",
    "client_ip",
    "parse_rate",
]
