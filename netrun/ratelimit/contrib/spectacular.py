"""drf-spectacular: the 429 of each throttled operation, with ``Retry-After`` and ``RateLimit-*``.

::

    SPECTACULAR_SETTINGS = {
        "POSTPROCESSING_HOOKS": [
            ...,
            "netrun.errors.contrib.spectacular.postprocess_error_responses",
            "netrun.ratelimit.contrib.spectacular.postprocess_rate_limits",
        ],
    }

An operation limited by a netrun throttle (:mod:`netrun.ratelimit.drf`) or by
``RateLimitMiddleware``'s global ``NETRUN_RATELIMIT_MIDDLEWARE_RATE`` gets a 429 in the error
envelope with ``Retry-After``, its limits in the description and in ``x-netrun-rate-limits``
(scope, limit, period in seconds, key). With ``RateLimitMiddleware`` installed and
``NETRUN_RATELIMIT_HEADERS`` on, every response of the operation, the 429 included, also
documents ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.generators import SchemaGenerator

from netrun.errors.contrib.spectacular import (
    add_error_response,
    add_header_component,
    iter_operations,
)
from netrun.ratelimit._rate import parse_rate
from netrun.ratelimit.conf import conf
from netrun.ratelimit.drf import NetrunRateThrottle

__all__ = ["RATELIMIT_HEADERS", "postprocess_rate_limits"]

_MIDDLEWARE = "netrun.ratelimit.middleware.RateLimitMiddleware"

RATELIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "RateLimit-Limit": {
        "description": "Requests (units of cost) allowed in the window of the tightest limit.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "RateLimit-Remaining": {
        "description": "Units left in that window.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "Seconds until that window frees capacity again.",
        "schema": {"type": "integer", "minimum": 0},
    },
}


def _limits(path: str, view: Any) -> list[dict[str, Any]]:
    limits = []
    for throttle in view.get_throttles():
        if not isinstance(throttle, NetrunRateThrottle):
            continue
        rate = throttle.get_rate()
        if rate is None:
            continue
        key = throttle.key if isinstance(throttle.key, str) else throttle.key.__name__
        scope = throttle.scope or type(throttle).__name__
        limits.append({"scope": scope, "limit": rate.limit, "period": rate.period, "key": key})
    if conf.middleware_rate and not any(path.startswith(p) for p in conf.exempt_paths):
        rate = parse_rate(conf.middleware_rate)
        limits.append(
            {
                "scope": "global",
                "limit": rate.limit,
                "period": rate.period,
                "key": conf.middleware_key,
            }
        )
    return limits


def postprocess_rate_limits(
    result: dict[str, Any], generator: SchemaGenerator, request: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: 429s and rate-limit headers where a limit applies."""
    with_headers = conf.enabled and conf.headers and _MIDDLEWARE in settings.MIDDLEWARE
    headers: dict[str, Any] = {}
    for path, _method, operation, view in iter_operations(result, generator, request):
        limits = _limits(path, view) if conf.enabled else []
        if not limits:
            continue
        described = ", ".join(
            f"{limit['scope']} {limit['limit']} per {limit['period']:g} s by {limit['key']}"
            for limit in limits
        )
        response = add_error_response(result, operation, 429)
        response["description"] += f" Limits: {described}."
        operation["x-netrun-rate-limits"] = limits
        if with_headers:
            headers = headers or {
                name: add_header_component(result, name, header)
                for name, header in RATELIMIT_HEADERS.items()
            }
            for response in operation["responses"].values():
                response_headers = response.setdefault("headers", {})
                for name, ref in headers.items():
                    response_headers.setdefault(name, ref)
    return result
