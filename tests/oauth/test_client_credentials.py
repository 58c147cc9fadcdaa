"""Client-credentials tokens: cached until shortly before expiry, one fetch for N threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from netrun.errors import AuthenticationError, BadGatewayError
from netrun.oauth import AccessToken, ClientCredentialsClient, build_provider
from tests.oauth.stub import CLIENT_ID, CLIENT_SECRET, StubIdP


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_client(
    idp: StubIdP, clock: Clock | None = None, **options: object
) -> ClientCredentialsClient:
    config = build_provider(
        "service",
        {
            "type": "oidc",
            "token_endpoint": f"{idp.url}/token",
            "authorization_endpoint": f"{idp.url}/authorize",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "service_scopes": "api.read api.write",
            **options,
        },
    )
    if clock is None:
        return ClientCredentialsClient(config)
    return ClientCredentialsClient(config, clock=clock)


def test_the_token_is_reused_until_shortly_before_expiry(idp: StubIdP) -> None:
    clock = Clock()
    client = make_client(idp, clock)
    first = client.get_token()
    assert first.value == "cc-token-1"
    clock.now += 3600 - 61  # still more than the 60 s margin left
    assert client.get_token() is first
    clock.now += 2  # inside the margin: refreshed before it can expire mid-request
    assert client.get_token().value == "cc-token-2"
    assert idp.counts["client_credentials"] == 2


def test_the_request_sends_scopes_and_client_authentication(idp: StubIdP) -> None:
    token = make_client(idp, service_audience="https://api.example").get_token()
    form = idp.token_requests[-1]
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == ["api.read api.write"]
    assert form["audience"] == ["https://api.example"]
    assert token.scopes == ("api.read", "api.write")
    assert token.authorization_header() == {"Authorization": "Bearer cc-token-1"}
    assert "cc-token-1" not in repr(token)


def test_concurrent_callers_share_one_fetch(idp: StubIdP) -> None:
    idp.cc_delay = 0.3  # wide enough for every thread to find the cache empty
    client = make_client(idp)
    barrier = threading.Barrier(20)

    def work() -> str:
        barrier.wait()
        return client.get_token().value

    with ThreadPoolExecutor(max_workers=20) as pool:
        values = list(pool.map(lambda _: work(), range(20)))
    assert values == ["cc-token-1"] * 20
    assert idp.counts["client_credentials"] == 1


def test_tokens_are_cached_per_scope_set(idp: StubIdP) -> None:
    client = make_client(idp)
    a = client.get_token(["b", "a"])
    assert client.get_token(["a", "b"]) is a
    assert client.get_token(["c"]).value != a.value
    assert idp.counts["client_credentials"] == 2


def test_a_short_lived_token_is_refreshed_at_half_its_lifetime(idp: StubIdP) -> None:
    idp.cc_expires_in = 20
    clock = Clock()
    client = make_client(idp, clock)
    token = client.get_token()
    assert (token.expires_at - clock.now, token.refresh_at - clock.now) == (20, 10)


def test_a_token_without_expires_in_gets_the_default_lifetime(idp: StubIdP) -> None:
    idp.cc_expires_in = None
    clock = Clock()
    token = make_client(idp, clock).get_token()
    assert token.expires_at - clock.now == 300


def test_invalidate_forces_a_new_token(idp: StubIdP) -> None:
    client = make_client(idp)
    client.authorization_header()
    client.invalidate(["api.write", "api.read"])
    assert client.get_token().value == "cc-token-2"
    client.invalidate()
    assert client.get_token().value == "cc-token-3"


def test_wrong_client_credentials_are_a_bad_gateway(idp: StubIdP) -> None:
    client = make_client(idp, client_secret="wrong")
    with pytest.raises(BadGatewayError) as excinfo:
        client.get_token()
    assert excinfo.value.details["reason"] == "invalid_client"


def test_a_refused_scope_is_an_authentication_error(idp: StubIdP) -> None:
    idp.cc_error = "invalid_scope"
    with pytest.raises(AuthenticationError) as excinfo:
        make_client(idp).get_token()
    assert excinfo.value.details["reason"] == "invalid_scope"


def test_the_token_endpoint_can_come_from_discovery(idp: StubIdP) -> None:
    config = build_provider(
        "service",
        {"type": "oidc", "discovery_url": idp.discovery_url, "client_id": CLIENT_ID,
         "client_secret": CLIENT_SECRET},
    )  # fmt: skip
    token = ClientCredentialsClient(config).get_token(["x"])
    assert isinstance(token, AccessToken)
    assert idp.counts["/.well-known/openid-configuration"] == 1


def test_a_mac_token_type_is_kept_in_the_header() -> None:
    token = AccessToken(value="v", token_type="MAC", expires_at=1, refresh_at=1)
    assert token.authorization_header() == {"Authorization": "MAC v"}
