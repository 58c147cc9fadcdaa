"""The authorization-code client against the local provider, without Django."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from netrun.errors import (
    AuthenticationError,
    BadGatewayError,
    GatewayTimeoutError,
    ServiceUnavailableError,
)
from netrun.oauth import MetadataCache, OAuthClient, build_provider
from tests.oauth.stub import CLIENT_ID, CLIENT_SECRET, StubIdP, unused_port

REDIRECT = "https://app.example/oauth/stub/callback/"


def make_client(idp: StubIdP, **options: object) -> OAuthClient:
    return OAuthClient(
        build_provider(
            "stub",
            {
                "type": "oidc",
                "discovery_url": idp.discovery_url,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                **options,
            },
        )
    )


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_authorization_request_carries_state_nonce_and_s256_challenge(idp: StubIdP) -> None:
    request = make_client(idp, authorize_params={"prompt": "select_account"}).authorization_request(
        REDIRECT
    )
    params = query(request.url)
    assert request.url.startswith(f"{idp.url}/authorize?")
    assert params["state"] == request.state
    assert params["nonce"] == request.nonce
    assert params["code_challenge"] == create_s256_code_challenge(request.code_verifier)
    assert params["code_challenge_method"] == "S256"
    assert params["redirect_uri"] == REDIRECT
    assert params["scope"] == "openid profile email"
    assert params["prompt"] == "select_account"
    assert "code_verifier" not in params
    # The verifier stays server-side: it must not even appear in a repr that gets logged.
    assert request.code_verifier not in repr(request)


def test_each_authorization_request_is_fresh(idp: StubIdP) -> None:
    client = make_client(idp)
    first, second = client.authorization_request(REDIRECT), client.authorization_request(REDIRECT)
    assert first.state != second.state
    assert first.nonce != second.nonce
    assert first.code_verifier != second.code_verifier
    assert len(first.code_verifier) >= 43  # RFC 7636: 43 to 128 characters


def test_discovery_is_fetched_once_for_many_concurrent_callers(idp: StubIdP) -> None:
    client = make_client(idp)
    barrier = threading.Barrier(10)

    def work() -> None:
        barrier.wait()
        client.metadata()

    threads = [threading.Thread(target=work) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert idp.counts["/.well-known/openid-configuration"] == 1


def test_discovery_is_refetched_after_its_ttl(idp: StubIdP) -> None:
    now = [0.0]
    with httpx.Client() as http:
        cache = MetadataCache(
            idp.discovery_url, provider="stub", http=http, ttl=60, clock=lambda: now[0]
        )
        cache.get()
        now[0] = 59
        cache.get()
        assert idp.counts["/.well-known/openid-configuration"] == 1
        now[0] = 61
        assert cache.get().issuer == idp.url
        assert idp.counts["/.well-known/openid-configuration"] == 2


def test_explicit_endpoints_win_over_discovery(idp: StubIdP) -> None:
    client = make_client(idp, token_endpoint="https://override.example/token")
    metadata = client.metadata()
    assert metadata.token_endpoint == "https://override.example/token"
    assert metadata.authorization_endpoint == f"{idp.url}/authorize"


def test_a_provider_without_discovery_uses_its_endpoints(idp: StubIdP) -> None:
    client = OAuthClient(
        build_provider(
            "manual",
            {
                "type": "oidc",
                "client_id": CLIENT_ID,
                "authorization_endpoint": f"{idp.url}/authorize",
                "token_endpoint": f"{idp.url}/token",
            },
        )
    )
    assert client.metadata().token_endpoint == f"{idp.url}/token"
    assert idp.counts["/.well-known/openid-configuration"] == 0
    with pytest.raises(BadGatewayError):
        client.id_token_verifier()  # no issuer and no jwks_uri: nothing to verify with


def test_complete_verifies_the_id_token_and_merges_userinfo(idp: StubIdP) -> None:
    client = make_client(idp)
    request = client.authorization_request(REDIRECT)
    code = idp.issue_code(
        nonce=request.nonce,
        code_challenge=create_s256_code_challenge(request.code_verifier),
        redirect_uri=REDIRECT,
    )
    identity = client.complete(
        code, redirect_uri=REDIRECT, code_verifier=request.code_verifier, nonce=request.nonce
    )
    assert identity.subject == "user-1"
    assert identity.email_verified is True
    assert identity.email_domain == "acme.test"
    assert identity.name == "Ada"  # the verified ID token wins over userinfo
    assert identity.claims["picture"] == "https://example.test/ada.png"


def test_userinfo_for_another_subject_is_ignored(idp: StubIdP) -> None:
    client = make_client(idp)
    request = client.authorization_request(REDIRECT)
    code = idp.issue_code(
        nonce=request.nonce,
        code_challenge=create_s256_code_challenge(request.code_verifier),
        redirect_uri=REDIRECT,
    )
    idp.userinfo_sub = "someone-else"
    identity = client.complete(
        code, redirect_uri=REDIRECT, code_verifier=request.code_verifier, nonce=request.nonce
    )
    assert "picture" not in identity.claims


def test_a_wrong_code_verifier_is_refused_by_the_provider(idp: StubIdP) -> None:
    client = make_client(idp)
    request = client.authorization_request(REDIRECT)
    code = idp.issue_code(
        nonce=request.nonce,
        code_challenge=create_s256_code_challenge(request.code_verifier),
        redirect_uri=REDIRECT,
    )
    with pytest.raises(AuthenticationError) as excinfo:
        client.complete(code, redirect_uri=REDIRECT, code_verifier="x" * 64, nonce=request.nonce)
    assert excinfo.value.details["reason"] == "invalid_grant"


def test_missing_id_token_is_a_bad_gateway(idp: StubIdP) -> None:
    client = make_client(idp, token_endpoint=f"{idp.url}/github/token")
    request = client.authorization_request(REDIRECT)
    code = idp.issue_code(
        nonce=request.nonce,
        code_challenge=create_s256_code_challenge(request.code_verifier),
        redirect_uri=REDIRECT,
    )
    with pytest.raises(BadGatewayError):
        client.complete(
            code, redirect_uri=REDIRECT, code_verifier=request.code_verifier, nonce=request.nonce
        )


def test_an_unreachable_provider_is_service_unavailable() -> None:
    dead = f"http://127.0.0.1:{unused_port()}/.well-known/openid-configuration"
    client = OAuthClient(
        build_provider("dead", {"type": "oidc", "discovery_url": dead, "client_id": "x"})
    )
    with pytest.raises(ServiceUnavailableError) as excinfo:
        client.authorization_request(REDIRECT)
    assert excinfo.value.status_code == 503
    assert excinfo.value.details == {"provider": "dead", "operation": "discovery"}


def test_a_provider_answering_500_is_a_bad_gateway(idp: StubIdP) -> None:
    idp.broken_path = "/.well-known/openid-configuration"
    with pytest.raises(BadGatewayError) as excinfo:
        make_client(idp).metadata()
    assert excinfo.value.details["upstream_status"] == 500


def test_a_provider_answering_non_json_is_a_bad_gateway(idp: StubIdP) -> None:
    client = make_client(idp, discovery_url=f"{idp.url}/not-json")
    with pytest.raises(BadGatewayError):
        client.metadata()


def test_an_incomplete_or_missing_discovery_document_is_a_bad_gateway(idp: StubIdP) -> None:
    with pytest.raises(BadGatewayError):
        make_client(idp, discovery_url=f"{idp.url}/jwks").metadata()  # JSON, not discovery
    with pytest.raises(BadGatewayError) as excinfo:
        make_client(idp, discovery_url=f"{idp.url}/missing").metadata()
    assert excinfo.value.details["upstream_status"] == 404


def test_a_slow_provider_is_a_gateway_timeout(idp: StubIdP) -> None:
    idp.slow_path = "/.well-known/openid-configuration"
    with pytest.raises(GatewayTimeoutError):
        make_client(idp, timeout=0.2).metadata()


def test_a_broken_jwks_is_a_bad_gateway(idp: StubIdP) -> None:
    client = make_client(idp, jwks_uri=f"{idp.url}/userinfo")  # 401 without a token
    with pytest.raises(BadGatewayError):
        client.id_token_verifier().jwks.get("key-1")


def test_github_identity_comes_from_the_api_with_the_verified_primary_email(
    idp: StubIdP,
) -> None:
    client = OAuthClient(
        build_provider(
            "github",
            {
                "type": "github",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "authorization_endpoint": f"{idp.url}/github/authorize",
                "token_endpoint": f"{idp.url}/github/token",
                "userinfo_endpoint": f"{idp.url}/github/user",
                "emails_endpoint": f"{idp.url}/github/user/emails",
            },
        )
    )
    request = client.authorization_request(REDIRECT)
    assert request.nonce is None
    assert "nonce" not in query(request.url)
    code = idp.issue_code(
        nonce=None,
        code_challenge=create_s256_code_challenge(request.code_verifier),
        redirect_uri=REDIRECT,
    )
    identity = client.complete(
        code, redirect_uri=REDIRECT, code_verifier=request.code_verifier, nonce=None
    )
    assert (identity.subject, identity.email, identity.email_verified) == (
        "4242", "ada@acme.test", True,
    )  # fmt: skip
    assert identity.name == "ada"
    assert idp.token_requests[-1]["grant_type"] == ["authorization_code"]
