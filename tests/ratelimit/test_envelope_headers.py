"""A RateLimited raised anywhere gets the RateLimit-* headers from every netrun.errors renderer."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from netrun.errors import render_error
from netrun.ratelimit import MemoryBackend, RateLimited, RateLimiter
from tests.ratelimit import views


@pytest.mark.urls("tests.ratelimit.urls")
@override_settings(MIDDLEWARE=["netrun.logging.middleware.CorrelationIdMiddleware"])
def test_drf_view_calling_check_itself_gets_ratelimit_headers(client: Client) -> None:
    views._API_LIMITER.clear()
    assert client.get("/api/checked-in-view/").status_code == 200
    response = client.get("/api/checked-in-view/", HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert response["RateLimit-Limit"] == "1"
    assert response["RateLimit-Remaining"] == "0"
    assert int(response["Retry-After"]) >= 1
    assert int(response["RateLimit-Reset"]) >= 1


def test_render_error_uses_the_decisions_headers_but_keeps_its_own() -> None:
    limiter = RateLimiter("2/m", MemoryBackend())
    limiter.hit("k", cost=2)
    with pytest.raises(RateLimited) as excinfo:
        limiter.check("k")
    status, headers, body = render_error(excinfo.value)
    assert status == 429
    assert headers["RateLimit-Limit"] == "2"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Correlation-ID"] == body["error"]["correlation_id"]
