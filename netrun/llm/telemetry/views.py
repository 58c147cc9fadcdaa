"""The Prometheus scrape endpoint: ``path("metrics/", metrics_view)``.

Serves prometheus-client's global registry (where :class:`PrometheusSink` registers by
default) in the text format, or OpenMetrics when the scraper asks for it.

Closed by default. A scrape is served when it sends ``Authorization: Bearer <token>`` (or
``Metrics <token>``, for a project whose JWT middleware would read a bearer token as a JWT)
with the Django setting ``NETRUN_LLM_METRICS_TOKEN``, or comes from a logged-in staff user (a
browser session). Anything else is refused: 401 with a ``WWW-Authenticate`` challenge, 403
for a logged-in user who is not staff. Only in development (``DEBUG`` on) with no token set
is the view open to everyone. Spend, tenants and error rates are not for the internet; system
check ``netrun.llm.W004`` reports the view routed with ``DEBUG`` off and no token (scrapers
would be refused).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder

from netrun.llm.telemetry.checks import METRICS_VIEW_MARKER, metrics_token

__all__ = ["TOKEN_SCHEMES", "make_metrics_view", "metrics_view"]


#: ``Authorization`` schemes that carry the token. Behind netrun's JWT middleware a
#: ``Bearer`` header is verified as a JWT (and refused) before the view runs: send the
#: token as ``Metrics <token>`` there (Prometheus: ``authorization: {type: Metrics}``).
TOKEN_SCHEMES = frozenset({"bearer", "metrics"})


def _token_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() in TOKEN_SCHEMES and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """``None`` when the request may read the metrics, else the response that refuses it."""
    token = metrics_token()
    if token is not None and _token_matches(request, token):
        return None
    user: Any = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return None
    if token is None and settings.DEBUG:
        return None  # development: nothing to protect, and nothing configured yet
    if user is not None and user.is_authenticated:
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def make_metrics_view(
    registry: CollectorRegistry | None = None,
) -> Callable[[HttpRequest], HttpResponse]:
    """A scrape view over ``registry`` (default: prometheus-client's global one)."""
    source = registry if registry is not None else REGISTRY

    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        refusal = _refusal(request)
        if refusal is not None:
            return refusal
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return HttpResponse(encoder(source), content_type=content_type)

    setattr(view, METRICS_VIEW_MARKER, True)
    return view


metrics_view = make_metrics_view()
