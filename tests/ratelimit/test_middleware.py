from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings

from netrun.ratelimit.middleware import RateLimitMiddleware

pytestmark = pytest.mark.urls("tests.ratelimit.urls")

ENVELOPE = "netrun.errors.middleware.ErrorEnvelopeMiddleware"
RATELIMIT = "netrun.ratelimit.middleware.RateLimitMiddleware"


@pytest.fixture(autouse=True)
def middleware() -> Iterator[None]:
    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, ENVELOPE, RATELIMIT]):
        yield


@override_settings(NETRUN_RATELIMIT_MIDDLEWARE_RATE="2/m", NETRUN_RATELIMIT_MIDDLEWARE_KEY="ip")
def test_a_global_rate_refuses_before_the_view(client: Client) -> None:
    assert client.get("/ok/")["RateLimit-Remaining"] == "1"
    assert client.get("/ok/").status_code == 200
    refused = client.get("/ok/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert refused["Retry-After"] == "60"
    assert refused["RateLimit-Limit"] == "2"


@override_settings(
    NETRUN_RATELIMIT_MIDDLEWARE_RATE="1/m",
    NETRUN_RATELIMIT_MIDDLEWARE_KEY="ip",
    NETRUN_RATELIMIT_EXEMPT_PATHS=["/health/"],
)
def test_exempt_paths_are_not_limited(client: Client) -> None:
    assert [client.get("/health/").status_code for _ in range(3)] == [200, 200, 200]
    assert "RateLimit-Limit" not in client.get("/health/")


@override_settings(NETRUN_RATELIMIT_MIDDLEWARE_RATE="1/m", NETRUN_RATELIMIT_MIDDLEWARE_KEY="user")
def test_a_key_that_skips_the_request_lets_it_through(client: Client) -> None:
    assert [client.get("/ok/").status_code for _ in range(2)] == [200, 200]


def test_without_a_rate_it_only_adds_headers_of_the_most_restrictive_limit(client: Client) -> None:
    with override_settings(NETRUN_RATELIMIT_MIDDLEWARE_RATE="100/m"):
        response = client.get("/by-ip/")
    # The view's 2/m limit has 1 left, the middleware's 100/m has 99: the client sees 2/m.
    assert response["RateLimit-Limit"] == "2"
    assert response["RateLimit-Remaining"] == "1"
    assert "RateLimit-Limit" not in client.get("/ok/")


def test_rate_limited_raised_in_a_view_becomes_the_429_with_headers(client: Client) -> None:
    refused = client.get("/raises/")
    assert refused.status_code == 429
    assert refused["RateLimit-Limit"] == "1"
    assert refused["Retry-After"] == "60"


def test_django_ratelimit_ratelimited_becomes_429_not_403(client: Client) -> None:
    assert client.get("/django-ratelimit/").status_code == 200
    refused = client.get("/django-ratelimit/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"


def test_other_exceptions_are_left_to_the_next_middleware(rf: RequestFactory) -> None:
    middleware = RateLimitMiddleware(lambda request: HttpResponse())
    assert middleware.process_exception(rf.get("/"), ValueError("x")) is None


@override_settings(NETRUN_RATELIMIT_MIDDLEWARE_RATE="1/m")
def test_async_middleware_limits_too() -> None:
    async def run() -> list[int]:
        client = AsyncClient()
        return [(await client.get("/ok/")).status_code for _ in range(2)]

    assert asyncio.run(run()) == [200, 429]


@override_settings(NETRUN_RATELIMIT_MIDDLEWARE_RATE="1/m", NETRUN_RATELIMIT_MIDDLEWARE_KEY="ip")
def test_async_middleware_with_an_event_loop_safe_key() -> None:
    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    middleware = RateLimitMiddleware(view)
    request = RequestFactory().get("/ok/")

    async def run() -> list[int]:
        return [(await middleware(request)).status_code for _ in range(2)]  # type: ignore[misc]

    assert asyncio.run(run()) == [200, 429]
