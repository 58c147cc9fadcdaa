from __future__ import annotations

import asyncio

import pytest
from django.contrib.auth.models import User
from django.test import AsyncClient, Client, RequestFactory, override_settings

from netrun.core.context import tenant_context
from netrun.ratelimit.decorators import is_ratelimited, ratelimit

pytestmark = pytest.mark.urls("tests.ratelimit.urls")


def test_blocks_over_the_limit_with_the_429_envelope_and_headers(client: Client) -> None:
    first = client.get("/by-ip/")
    assert first.status_code == 200
    assert first["RateLimit-Limit"] == "2"
    assert first["RateLimit-Remaining"] == "1"
    assert first["RateLimit-Reset"] == "60"
    assert "Retry-After" not in first
    client.get("/by-ip/")
    refused = client.get("/by-ip/")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused["RateLimit-Remaining"] == "0"
    assert refused["Content-Type"] == "application/json"
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert error["details"] == {"retry_after": 60, "limit": 2}
    assert error["correlation_id"] == refused["X-Correlation-ID"]


def test_problem_json_when_the_client_asks(client: Client) -> None:
    client.get("/by-ip/")
    client.get("/by-ip/")
    refused = client.get("/by-ip/", HTTP_ACCEPT="application/problem+json")
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 429


def test_ip_keys_are_per_client_address() -> None:
    one, two = Client(REMOTE_ADDR="192.0.2.1"), Client(REMOTE_ADDR="192.0.2.2")
    assert [one.get("/by-ip/").status_code for _ in range(3)] == [200, 200, 429]
    assert two.get("/by-ip/").status_code == 200


def test_a_forged_x_forwarded_for_does_not_buy_a_new_budget() -> None:
    client = Client(REMOTE_ADDR="192.0.2.1")
    codes = [
        client.get("/by-ip/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(3)
    ]
    assert codes == [200, 200, 429]


@override_settings(NETRUN_RATELIMIT_TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_key() -> None:
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    codes = [
        proxy.get("/by-ip/", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.7").status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert proxy.get("/by-ip/", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.8").status_code == 200


@pytest.mark.django_db
def test_user_keys_limit_each_user_and_skip_anonymous(client: Client) -> None:
    assert [client.get("/by-user/").status_code for _ in range(3)] == [200, 200, 200]
    alice = User.objects.create_user("alice")
    bob = User.objects.create_user("bob")
    client.force_login(alice)
    assert [client.get("/by-user/").status_code for _ in range(2)] == [200, 429]
    client.force_login(bob)
    assert client.get("/by-user/").status_code == 200


def test_tenant_keys_follow_the_request_context(client: Client) -> None:
    assert [client.get("/by-tenant/").status_code for _ in range(2)] == [200, 200]  # no tenant
    with tenant_context("acme"):
        assert [client.get("/by-tenant/").status_code for _ in range(2)] == [200, 429]
    with tenant_context("globex"):
        assert client.get("/by-tenant/").status_code == 200


def test_header_keys_and_method_filters(client: Client) -> None:
    assert [client.get("/by-header/", HTTP_X_API_KEY="k1").status_code for _ in range(2)] == [
        200,
        200,
    ]
    assert client.post("/by-header/", HTTP_X_API_KEY="k1").status_code == 200
    assert client.post("/by-header/", HTTP_X_API_KEY="k1").status_code == 429
    assert client.post("/by-header/", HTTP_X_API_KEY="k2").status_code == 200
    assert client.post("/by-header/").status_code == 200  # no key: not limited


def test_block_false_runs_the_view_and_sets_request_limited(client: Client) -> None:
    assert client.get("/not-blocking/").json() == {"limited": False}
    assert client.get("/not-blocking/").json() == {"limited": True}
    assert client.get("/not-blocking/?plan=unlimited").json() == {"limited": None}


def test_cost_functions_weigh_requests(client: Client) -> None:
    assert client.get("/weighted/?cost=8")["RateLimit-Remaining"] == "2"
    assert client.get("/weighted/?cost=3").status_code == 429
    assert client.get("/weighted/?cost=2").status_code == 200


@override_settings(NETRUN_RATELIMIT_ENABLED=False)
def test_disabled_limits_nothing(client: Client) -> None:
    assert [client.get("/by-ip/").status_code for _ in range(3)] == [200, 200, 200]


@override_settings(NETRUN_RATELIMIT_HEADERS=False)
def test_headers_can_be_turned_off(client: Client) -> None:
    assert "RateLimit-Limit" not in client.get("/by-ip/")
    client.get("/by-ip/")
    refused = client.get("/by-ip/")
    assert refused.status_code == 429
    assert "RateLimit-Limit" not in refused
    assert refused["Retry-After"] == "60"  # part of the envelope, always


def test_async_views_are_limited_on_the_event_loop() -> None:
    client = AsyncClient()

    async def run() -> None:
        assert (await client.get("/async-by-ip/")).status_code == 200
        refused = await client.get("/async-by-ip/")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "60"
        codes = [(await client.get("/async-by-user/")).status_code for _ in range(2)]
        assert codes == [200, 429]

    asyncio.run(run())


def test_unknown_key_names_fail_at_decoration_time() -> None:
    with pytest.raises(ValueError, match="unknown rate-limit key 'ipp'"):
        ratelimit(key="ipp", rate="1/m")(lambda request: None)
    with pytest.raises(ValueError, match="header:, get: or post:"):
        ratelimit(key="cookie:x", rate="1/m")(lambda request: None)


def test_bad_rates_fail_at_decoration_time() -> None:
    from netrun.ratelimit import InvalidRateError

    with pytest.raises(InvalidRateError, match="'1/fortnight'"):
        ratelimit(key="ip", rate="1/fortnight")(lambda request: None)


def test_is_ratelimited_matches_django_ratelimit_semantics(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR="192.0.2.9")
    assert not is_ratelimited(request, "g", key="ip", rate="1/m")  # peek only
    assert not is_ratelimited(request, "g", key="ip", rate="1/m", increment=True)
    assert is_ratelimited(request, "g", key="ip", rate="1/m")
    assert is_ratelimited(request, "g", key="ip", rate="1/m", increment=True)
    assert not is_ratelimited(request, "g", key="ip", rate=None)
    assert not is_ratelimited(request, "g", key="ip", rate="1/m", method="POST")
    assert is_ratelimited(request, "g", key="ip", rate="1/m", method=["get"])


def test_dotted_path_rates_and_keys(rf: RequestFactory) -> None:
    request = rf.get("/", REMOTE_ADDR="192.0.2.9")
    rate = "tests.ratelimit.views._plan_rate"
    key = "netrun.ratelimit.keys.ip"
    assert not is_ratelimited(request, "d", key=key, rate=rate, increment=True)
    assert is_ratelimited(request, "d", key=key, rate=rate, increment=True)
