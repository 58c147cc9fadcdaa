"""The Prometheus scrape endpoint: ``path("metrics/", metrics_view)``.

Serves prometheus-client's global registry (where :class:`PrometheusSink` registers by
default) in the text format, or OpenMetrics when the scraper asks for it. When the Django
setting ``NETRUN_LLM_METRICS_TOKEN`` is set, a scrape must send ``Authorization: Bearer
<token>``; otherwise the view is open, as scrape endpoints usually are inside a cluster.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder

__all__ = ["make_metrics_view", "metrics_view"]


def _authorized(request: HttpRequest) -> bool:
    # Read per request, so override_settings and a rotated token apply without a restart.
    token = getattr(settings, "NETRUN_LLM_METRICS_TOKEN", None)
    if not token:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), str(token).encode())


def make_metrics_view(
    registry: CollectorRegistry | None = None,
) -> Callable[[HttpRequest], HttpResponse]:
    """A scrape view over ``registry`` (default: prometheus-client's global one)."""
    source = registry if registry is not None else REGISTRY

    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        if not _authorized(request):
            response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return HttpResponse(encoder(source), content_type=content_type)

    return view


metrics_view = make_metrics_view()
