"""django-ratelimit interoperability: keep ``@ratelimit`` and get the 429 envelope.

Three ways, from least to most change:

1. ``RATELIMIT_EXCEPTION_CLASS = "netrun.ratelimit.interop.RatelimitedError"``: django-ratelimit
   raises this class, which is both its ``Ratelimited`` (existing ``except Ratelimited`` and
   ``RATELIMIT_VIEW`` code still matches) and a ``RateLimitExceededError``, so
   ``ErrorEnvelopeMiddleware`` and the DRF handler answer 429 instead of 403.
2. Keep the default exception and add ``RateLimitMiddleware`` (or set ``RATELIMIT_VIEW =
   "netrun.ratelimit.views.ratelimited"``): it maps ``Ratelimited`` to the same 429.
3. Change ``from django_ratelimit.decorators import ratelimit`` to
   ``from netrun.ratelimit.decorators import ratelimit``: the same arguments on the netrun
   core, so the window slides, counts are exact in Redis, and the 429 carries ``Retry-After``
   and ``RateLimit-*``.

This module imports django-ratelimit: import it only where that package is installed.
"""

from __future__ import annotations

from django_ratelimit.exceptions import Ratelimited  # type: ignore[import-untyped]

from netrun.ratelimit.exceptions import RateLimited

__all__ = ["RatelimitedError"]


class RatelimitedError(RateLimited, Ratelimited):  # type: ignore[misc]
    """django-ratelimit's ``Ratelimited`` that renders as the Netrun 429 envelope.

    django-ratelimit raises it without arguments and knows no wait time, so the envelope has
    no ``Retry-After``.
    """
