"""``RateLimitMiddleware``: a global limit, the ``RateLimit-*`` headers, and 429s for all.

::

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "netrun.errors.middleware.ErrorEnvelopeMiddleware",
        "netrun.ratelimit.middleware.RateLimitMiddleware",   # after both
    ]

* With ``NETRUN_RATELIMIT_MIDDLEWARE_RATE`` set, every request outside
  ``NETRUN_RATELIMIT_EXEMPT_PATHS`` is limited by ``NETRUN_RATELIMIT_MIDDLEWARE_KEY``; a refused
  one is answered with the 429 envelope before the view runs.
* Every response of a request that met a netrun limit (this one, ``@ratelimit``, the DRF
  throttle) gets ``RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` of the most restrictive.
* ``RateLimited`` raised in a view, and django-ratelimit's ``Ratelimited`` (a
  ``PermissionDenied``, so otherwise a 403), become the 429 envelope. Placed after
  ``ErrorEnvelopeMiddleware``, this middleware sees them first (exceptions travel up the list).

Sync and async capable; after ``AuthenticationMiddleware`` so ``user`` keys see the user.
"""

from __future__ import annotations

import sys

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from netrun.core.middleware import AsyncGetResponse, GetResponse, HybridMiddleware
from netrun.ratelimit._decision import Decision
from netrun.ratelimit._django import (
    add_headers,
    decisions_of,
    limiter_for,
    most_restrictive,
    rate_limited_response,
    record,
)
from netrun.ratelimit._limiter import RateLimiter
from netrun.ratelimit._rate import parse_rate
from netrun.ratelimit.conf import conf
from netrun.ratelimit.exceptions import RateLimited
from netrun.ratelimit.keys import resolve_key

__all__ = ["GROUP", "RateLimitMiddleware"]

#: The group of the middleware's keys (``netrun.middleware:<rate>:<key>``).
GROUP = "netrun.middleware"


def _is_django_ratelimit_denial(exception: Exception) -> bool:
    # Looked up, not imported: django-ratelimit is optional, and if nothing imported it,
    # nothing can have raised its exception.
    module = sys.modules.get("django_ratelimit.exceptions")
    ratelimited = getattr(module, "Ratelimited", None)
    return ratelimited is not None and isinstance(exception, ratelimited)


class RateLimitMiddleware(HybridMiddleware):
    """See the module docstring. Sync and async capable."""

    def handle(self, request: HttpRequest, get_response: GetResponse) -> HttpResponseBase:
        prepared = self._prepare(request)
        if prepared is not None:
            limiter, key = prepared
            decision = limiter.hit(key)
            refused = self._refuse(request, decision)
            if refused is not None:
                return refused
        response = get_response(request)
        return self._finish(request, response)

    async def ahandle(
        self, request: HttpRequest, get_response: AsyncGetResponse
    ) -> HttpResponseBase:
        prepared = (
            self._prepare(request)
            if conf.middleware_key in {"ip", "tenant"}
            # Other keys may read request.user, a lazy database lookup: not on the loop.
            else await sync_to_async(self._prepare)(request)
        )
        if prepared is not None:
            limiter, key = prepared
            decision = await limiter.ahit(key)
            refused = self._refuse(request, decision)
            if refused is not None:
                return refused
        response = await get_response(request)
        return self._finish(request, response)

    def _prepare(self, request: HttpRequest) -> tuple[RateLimiter, str] | None:
        rate_setting = conf.middleware_rate
        if not rate_setting or not conf.enabled:
            return None
        if request.path.startswith(tuple(conf.exempt_paths)):
            return None
        rate = parse_rate(rate_setting)
        key = resolve_key(conf.middleware_key, f"{GROUP}:{rate}", request)
        if key is None:
            return None
        return limiter_for(rate), key

    def _refuse(self, request: HttpRequest, decision: Decision) -> HttpResponseBase | None:
        record(request, decision)
        if decision.allowed:
            return None
        return rate_limited_response(request, RateLimited(decision=decision))

    def _finish(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        return add_headers(response, most_restrictive(decisions_of(request)))

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if isinstance(exception, RateLimited):
            if exception.decision is not None:
                record(request, exception.decision)
            return rate_limited_response(request, exception)
        if _is_django_ratelimit_denial(exception):
            return rate_limited_response(request, RateLimited())
        return None
