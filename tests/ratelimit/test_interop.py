"""django-ratelimit users keep their decorators and get the 429 envelope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from django_ratelimit.decorators import ratelimit as their_ratelimit
from django_ratelimit.exceptions import Ratelimited

from netrun.errors import RateLimitExceededError
from netrun.ratelimit.interop import RatelimitedError
from netrun.ratelimit.views import ratelimited


@their_ratelimit(key="ip", rate="1/m")
def legacy(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("legacy/", legacy)]

pytestmark = pytest.mark.urls(__name__)


def test_ratelimited_error_is_both_exceptions() -> None:
    error = RatelimitedError()
    assert isinstance(error, Ratelimited)
    assert isinstance(error, RateLimitExceededError)
    assert error.status_code == 429


@pytest.fixture
def envelope_middleware() -> Iterator[None]:
    middleware = [*settings.MIDDLEWARE, "netrun.errors.middleware.ErrorEnvelopeMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        yield


@pytest.mark.usefixtures("envelope_middleware")
@override_settings(RATELIMIT_EXCEPTION_CLASS="netrun.ratelimit.interop.RatelimitedError")
def test_exception_class_setting_turns_their_403_into_our_429() -> None:
    client = Client(REMOTE_ADDR="192.0.2.50")
    assert client.get("/legacy/").status_code == 200
    refused = client.get("/legacy/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"


@override_settings(RATELIMIT_VIEW="netrun.ratelimit.views.ratelimited")
def test_their_middleware_with_our_view() -> None:
    middleware = [*settings.MIDDLEWARE, "django_ratelimit.middleware.RatelimitMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        client = Client(REMOTE_ADDR="192.0.2.51")
        client.get("/legacy/")
        refused = client.get("/legacy/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"


def test_the_view_keeps_a_netrun_decision(rf: RequestFactory) -> None:
    from netrun.ratelimit import RateLimited, RateLimiter

    limiter = RateLimiter("1/m")
    limiter.hit("k")
    decision = limiter.hit("k")
    response = ratelimited(rf.get("/"), RateLimited(decision=decision))
    assert response.status_code == 429
    assert response["RateLimit-Limit"] == "1"
