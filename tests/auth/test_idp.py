"""External IdP tokens against a JWKS served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from django.test import override_settings

from netrun.auth import (
    JWKSVerifier,
    JWTKey,
    TokenExpiredError,
    TokenRejectedError,
    authenticate_token,
    get_idp_verifier,
    reset_idp_verifier,
)
from netrun.auth.idp import fetch_jwks
from netrun.errors import ConfigurationError
from tests.auth.conftest import KeyPair

IDP_ISSUER = "https://login.idp.test/tenant/v2.0"
IDP_AUDIENCE = "api://helpdesk"


class JWKSServer:
    """A JWKS endpoint on loopback that counts its fetches; stopped by the fixture."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {"keys": []}
        self.fetches = 0
        self.fail = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                if server.fail:
                    self.send_error(503)
                    return
                body = json.dumps(server.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/discovery/keys"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def publish(self, *keys: JWTKey) -> None:
        self.document = {"keys": [key.public_jwk() for key in keys]}


@pytest.fixture
def jwks_server() -> Iterator[JWKSServer]:
    server = JWKSServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=5)


def _idp_token(pair: KeyPair, kid: str, **extra: object) -> str:
    now = int(time.time())
    claims = {"sub": "entra-user", "iss": IDP_ISSUER, "aud": IDP_AUDIENCE, "iat": now,
              "exp": now + 300, "tid": "contoso", **extra}  # fmt: skip
    return jwt.encode(claims, pair.private_pem, "RS256", headers={"kid": kid})


def _key(pair: KeyPair, kid: str) -> JWTKey:
    return JWTKey.from_pem(private_key=pair.private_pem, kid=kid)


def test_jwks_is_cached_and_refetched_once_per_unknown_kid(
    jwks_server: JWKSServer, rsa_keys: KeyPair, rsa_keys_2: KeyPair
) -> None:
    now = [1000.0]
    jwks_server.publish(_key(rsa_keys, "k1"))
    verifier = JWKSVerifier(
        jwks_server.url, issuer=IDP_ISSUER, audience=IDP_AUDIENCE,
        min_refetch_interval=60, cache_seconds=3600, clock=lambda: now[0],
    )  # fmt: skip
    token = _idp_token(rsa_keys, "k1")
    for _ in range(20):
        assert verifier.verify(token)["sub"] == "entra-user"
    assert jwks_server.fetches == 1  # never on every request

    # The IdP rotates: an unknown kid triggers exactly one refetch, which finds the key.
    jwks_server.publish(_key(rsa_keys, "k1"), _key(rsa_keys_2, "k2"))
    now[0] += 61
    assert verifier.verify(_idp_token(rsa_keys_2, "k2"))["sub"] == "entra-user"
    assert jwks_server.fetches == 2

    # A flood of made-up kids within the interval costs nothing.
    for index in range(20):
        with pytest.raises(TokenRejectedError) as caught:
            verifier.verify(_idp_token(rsa_keys_2, f"bogus-{index}"))
        assert caught.value.reason == "unknown_kid"
    assert jwks_server.fetches == 2
    assert verifier.fetch_count == 2

    # After the cache lifetime the set is fetched again.
    now[0] += 3601
    verifier.verify(token)
    assert jwks_server.fetches == 3


def test_idp_down_keeps_the_last_good_keys(jwks_server: JWKSServer, rsa_keys: KeyPair) -> None:
    now = [0.0]
    jwks_server.publish(_key(rsa_keys, "k1"))
    verifier = JWKSVerifier(
        jwks_server.url, issuer=IDP_ISSUER, audience=IDP_AUDIENCE,
        cache_seconds=10, min_refetch_interval=1, clock=lambda: now[0],
    )  # fmt: skip
    token = _idp_token(rsa_keys, "k1")
    verifier.verify(token)
    jwks_server.fail = True
    now[0] += 20
    assert verifier.verify(token)["sub"] == "entra-user"  # stale, but still trusted
    assert jwks_server.fetches == 2


def test_idp_token_checks(jwks_server: JWKSServer, rsa_keys: KeyPair) -> None:
    jwks_server.publish(_key(rsa_keys, "k1"))
    verifier = JWKSVerifier(jwks_server.url, issuer=IDP_ISSUER, audience=IDP_AUDIENCE)
    with pytest.raises(TokenRejectedError, match="invalid") as caught:
        verifier.verify(_idp_token(rsa_keys, "k1", aud="someone-else"))
    assert caught.value.reason == "wrong_audience"
    with pytest.raises(TokenExpiredError):
        verifier.verify(_idp_token(rsa_keys, "k1", exp=int(time.time()) - 100))
    hs = jwt.encode({"sub": "x"}, "secret-" * 8, "HS256", headers={"kid": "k1"})
    with pytest.raises(TokenRejectedError) as caught:
        verifier.verify(hs)
    assert caught.value.reason == "algorithm_not_allowed"
    no_kid = jwt.encode({"sub": "x"}, rsa_keys.private_pem, "RS256")
    with pytest.raises(TokenRejectedError) as caught:
        verifier.verify(no_kid)
    assert caught.value.reason == "missing_kid"
    bad_kid = jwt.encode({"sub": "x"}, rsa_keys.private_pem, "RS256", headers={"kid": "../k"})
    with pytest.raises(TokenRejectedError) as caught:
        verifier.verify(bad_kid)
    assert caught.value.reason == "malformed_kid"
    for junk in ("", "x.y", "a" * 20_000):
        with pytest.raises(TokenRejectedError):
            verifier.verify(junk)
    assert "JWKSVerifier" in repr(verifier)


def test_jwks_entries_that_are_unusable_are_skipped(
    jwks_server: JWKSServer, rsa_keys: KeyPair, ec_keys: KeyPair
) -> None:
    good = _key(rsa_keys, "k1").public_jwk()
    ec_jwk = JWTKey.from_pem(
        algorithm="ES256", private_key=ec_keys.private_pem, kid="e1"
    ).public_jwk()
    jwks_server.document = {
        "keys": [
            "junk",
            {"kid": "../x", "kty": "RSA"},
            {"kid": "broken", "kty": "RSA"},
            ec_jwk,
            good,
        ]
    }
    verifier = JWKSVerifier(jwks_server.url, issuer=IDP_ISSUER, audience=IDP_AUDIENCE)
    assert verifier.verify(_idp_token(rsa_keys, "k1"))["sub"] == "entra-user"
    assert verifier.key_for("e1", "RS256") is None  # an EC key never serves RS256


def test_verifier_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="http"):
        JWKSVerifier("file:///etc/passwd", issuer="i", audience="a")
    with pytest.raises(ConfigurationError, match="RS"):
        JWKSVerifier("https://x", issuer="i", audience="a", algorithms=["HS256"])
    with pytest.raises(ConfigurationError, match="issuer"):
        JWKSVerifier("https://x", issuer="", audience="a")


def test_fetch_jwks_refuses_non_jwks(jwks_server: JWKSServer) -> None:
    jwks_server.document = {"not": "keys"}
    with pytest.raises(ValueError, match="JWKS"):
        fetch_jwks(jwks_server.url)


@pytest.mark.usefixtures("auth_settings")
def test_authenticate_token_routes_idp_tokens(jwks_server: JWKSServer, rsa_keys_2: KeyPair) -> None:
    jwks_server.publish(_key(rsa_keys_2, "k2"))
    with override_settings(
        NETRUN_AUTH_IDP_JWKS_URL=jwks_server.url,
        NETRUN_AUTH_IDP_ISSUER=IDP_ISSUER,
        NETRUN_AUTH_IDP_AUDIENCE=IDP_AUDIENCE,
    ):
        reset_idp_verifier()
        assert get_idp_verifier() is get_idp_verifier()
        claims = authenticate_token(_idp_token(rsa_keys_2, "k2"))
        assert claims["tid"] == "contoso"
    reset_idp_verifier()
    assert get_idp_verifier() is None
