"""A view for django-ratelimit's ``RATELIMIT_VIEW`` that answers with the 429 envelope.

::

    RATELIMIT_VIEW = "netrun.ratelimit.views.ratelimited"
    MIDDLEWARE = [..., "django_ratelimit.middleware.RatelimitMiddleware"]

``RateLimitMiddleware`` does the same without django-ratelimit's middleware.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from netrun.ratelimit._django import rate_limited_response
from netrun.ratelimit.exceptions import RateLimited

__all__ = ["ratelimited"]


def ratelimited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """429 in the Netrun envelope (django-ratelimit does not say when to retry)."""
    error = exception if isinstance(exception, RateLimited) else RateLimited()
    return rate_limited_response(request, error)
