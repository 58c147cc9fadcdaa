from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory, override_settings

from netrun.core.context import tenant_context
from netrun.ratelimit.drf import (
    NetrunAnonRateThrottle,
    NetrunRateThrottle,
    NetrunUserRateThrottle,
)

pytestmark = pytest.mark.urls("tests.ratelimit.urls")

RATES = {"tenant": "1/m", "user": "1/m", "anon": "1/m", "off": None}


@pytest.fixture(autouse=True)
def drf_settings() -> Iterator[None]:
    drf = {
        "EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler",
        "DEFAULT_THROTTLE_RATES": RATES,
    }
    middleware = [*settings.MIDDLEWARE, "netrun.ratelimit.middleware.RateLimitMiddleware"]
    with override_settings(REST_FRAMEWORK=drf, MIDDLEWARE=middleware):
        yield


def test_refused_requests_get_the_envelope_retry_after_and_ratelimit_headers(
    client: Client,
) -> None:
    assert client.get("/api/throttled/")["RateLimit-Remaining"] == "1"
    client.get("/api/throttled/")
    refused = client.get("/api/throttled/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert refused["Retry-After"] == "60"
    assert refused["RateLimit-Limit"] == "2"
    assert refused["RateLimit-Remaining"] == "0"


def test_scoped_throttles_read_default_throttle_rates(client: Client) -> None:
    with tenant_context("acme"):
        assert [client.get("/api/scoped/").status_code for _ in range(2)] == [200, 429]
    assert client.get("/api/scoped/").status_code == 200  # no tenant: not throttled


def _request(rf: RequestFactory, user: object) -> object:
    from rest_framework.request import Request

    request = Request(rf.get("/", REMOTE_ADDR="192.0.2.5"))
    request.user = user
    return request


@pytest.mark.django_db
def test_user_and_anon_throttles_split_like_drfs(rf: RequestFactory) -> None:
    alice = User.objects.create_user("alice")
    anon = NetrunAnonRateThrottle()
    assert anon.allow_request(_request(rf, alice), None)  # authenticated: not anon's business
    assert anon.allow_request(_request(rf, AnonymousUser()), None)
    assert not anon.allow_request(_request(rf, AnonymousUser()), None)
    assert 59 < (anon.wait() or 0) <= 60
    user = NetrunUserRateThrottle()
    assert user.allow_request(_request(rf, alice), None)
    assert not user.allow_request(_request(rf, alice), None)
    assert 59 < (user.wait() or 0) <= 60


def test_a_scope_mapped_to_none_is_not_throttled(rf: RequestFactory) -> None:
    throttle = type("Off", (NetrunRateThrottle,), {"scope": "off"})()
    assert all(throttle.allow_request(_request(rf, AnonymousUser()), None) for _ in range(3))
    assert throttle.wait() is None


def test_misconfigured_throttles_name_the_problem(rf: RequestFactory) -> None:
    with pytest.raises(ImproperlyConfigured, match="needs a rate or a scope"):
        NetrunRateThrottle().allow_request(_request(rf, AnonymousUser()), None)
    missing = type("Missing", (NetrunRateThrottle,), {"scope": "nope"})()
    with pytest.raises(ImproperlyConfigured, match="'nope'"):
        missing.allow_request(_request(rf, AnonymousUser()), None)


@override_settings(NETRUN_RATELIMIT_ENABLED=False)
def test_disabled_throttles_allow_everything(rf: RequestFactory) -> None:
    throttle = type("One", (NetrunRateThrottle,), {"rate": "1/m"})()
    assert all(throttle.allow_request(_request(rf, AnonymousUser()), None) for _ in range(3))


def test_cost_weighted_throttles(rf: RequestFactory) -> None:
    throttle = type("Heavy", (NetrunRateThrottle,), {"rate": "10/m", "cost": 6, "key": "ip"})()
    assert throttle.allow_request(_request(rf, AnonymousUser()), None)
    assert not throttle.allow_request(_request(rf, AnonymousUser()), None)
