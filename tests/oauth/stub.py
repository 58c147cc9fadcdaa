"""A local OpenID Connect provider for the tests: real HTTP on 127.0.0.1, in a thread.

It serves discovery, JWKS, a token endpoint (authorization code with PKCE, client
credentials), userinfo, and GitHub-like ``/github/user`` endpoints. There is no authorize
page: a test reads state, nonce and code challenge from the login redirect and registers a
code with :meth:`StubIdP.issue_code`, as the provider would after the user consented.
"""

from __future__ import annotations

import base64
import functools
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "netrun-test"
CLIENT_SECRET = "stub-client-secret"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out on purpose closed the socket: not a test failure


@functools.cache
def _private_key(name: str) -> RSAKey:
    # RSA key generation is slow; tests share keys by name (the stub's state is per test).
    return RSAKey.generate_key(2048)


def rsa_key(kid: str, name: str | None = None) -> RSAKey:
    """A signing key with ``kid``; the same ``name`` gives the same key material."""
    key = _private_key(name or kid)
    return RSAKey.import_key(key.as_dict(private=True), parameters={"kid": kid, "use": "sig"})


class StubIdP:
    def __init__(self) -> None:
        self.key = rsa_key("key-1")
        # The attacker's key claims the same kid: only the signature can tell them apart.
        self.forged_key = rsa_key("key-1", name="attacker")
        self.published_keys = [self.key]
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.counts: Counter[str] = Counter()
        self.token_requests: list[dict[str, list[str]]] = []
        self.userinfo_sub: str | None = None
        self.cc_delay = 0.0
        self.cc_expires_in: Any = 3600
        self.cc_error: str | None = None
        self.slow_path: str | None = None
        self.broken_path: str | None = None
        self.lock = threading.Lock()
        self.stopped = False
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # ------------------------------------------------------------------ documents

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.as_dict(private=False) for key in self.published_keys]}

    # ------------------------------------------------------------------ tokens

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "sub": "user-1",
            "iat": now,
            "exp": now + 300,
            "email": "ada@acme.test",
            "email_verified": True,
            "name": "Ada",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def id_token(
        self, claims: dict[str, Any], *, key: RSAKey | None = None, alg: str = "RS256"
    ) -> str:
        signing_key = key or self.key
        if alg == "none":
            header = b64(json.dumps({"alg": "none", "kid": "key-1"}).encode())
            return f"{header}.{b64(json.dumps(claims).encode())}."
        return jwt.encode({"alg": alg, "kid": signing_key.kid}, claims, signing_key)

    def issue_code(
        self,
        *,
        nonce: str | None,
        code_challenge: str,
        redirect_uri: str,
        sign_with: str = "good",
        id_token: str | None = None,
        **claims: Any,
    ) -> str:
        """Register an authorization code, as the provider does after consent."""
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {
                "nonce": nonce,
                "code_challenge": code_challenge,
                "redirect_uri": redirect_uri,
                "sign_with": sign_with,
                "id_token": id_token,
                "claims": claims,
            }
        return code

    # ------------------------------------------------------------------ HTTP

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

            def _send(self, status: int, body: Any) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _bearer(self) -> dict[str, Any] | None:
                header = self.headers.get("Authorization", "")
                return idp.access_tokens.get(header.removeprefix("Bearer "))

            def _common(self, path: str) -> bool:
                idp.counts[path] += 1
                if idp.slow_path == path:
                    time.sleep(1.0)
                if idp.broken_path == path:
                    self._send(500, b"<html>oops</html>")
                    return True
                return False

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if self._common(path):
                    return
                if path == "/.well-known/openid-configuration":
                    self._send(200, idp.discovery())
                elif path == "/jwks":
                    self._send(200, idp.jwks())
                elif path == "/not-json":
                    self._send(200, b"not json")
                elif path in ("/userinfo", "/github/user", "/github/user/emails"):
                    owner = self._bearer()
                    if owner is None:
                        self._send(401, {"error": "invalid_token"})
                    elif path == "/userinfo":
                        self._send(200, owner["userinfo"])
                    elif path == "/github/user":
                        self._send(200, {"id": 4242, "login": "ada", "email": None})
                    else:
                        self._send(
                            200,
                            [
                                {"email": "old@acme.test", "primary": False, "verified": True},
                                {"email": "ada@acme.test", "primary": True, "verified": True},
                            ],
                        )
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                if self._common(path):
                    return
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                idp.token_requests.append(form)
                expected = (
                    "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                )
                if path not in ("/token", "/github/token"):
                    self._send(404, {"error": "not_found"})
                elif self.headers.get("Authorization") != expected:
                    self._send(401, {"error": "invalid_client"})
                elif form.get("grant_type") == ["client_credentials"]:
                    self._client_credentials(form)
                elif form.get("grant_type") == ["authorization_code"]:
                    self._authorization_code(form, github=path == "/github/token")
                else:
                    self._send(400, {"error": "unsupported_grant_type"})

            def _client_credentials(self, form: dict[str, list[str]]) -> None:
                time.sleep(idp.cc_delay)
                if idp.cc_error:
                    self._send(400, {"error": idp.cc_error})
                    return
                with idp.lock:
                    idp.counts["client_credentials"] += 1
                    number = idp.counts["client_credentials"]
                self._send(
                    200,
                    {
                        "access_token": f"cc-token-{number}",
                        "token_type": "bearer",
                        "expires_in": idp.cc_expires_in,
                        "scope": form.get("scope", [""])[0],
                    },
                )

            def _authorization_code(self, form: dict[str, list[str]], *, github: bool) -> None:
                code = form.get("code", [""])[0]
                with idp.lock:
                    entry = idp.codes.pop(code, None)  # single use, like a real provider
                if entry is None:
                    self._send(400, {"error": "invalid_grant"})
                    return
                verifier = form.get("code_verifier", [""])[0]
                if (
                    create_s256_code_challenge(verifier) != entry["code_challenge"]
                    or form.get("redirect_uri", [""])[0] != entry["redirect_uri"]
                ):
                    self._send(400, {"error": "invalid_grant"})
                    return
                access_token = secrets.token_urlsafe(16)
                claims = idp.claims(nonce=entry["nonce"], **entry["claims"])
                idp.access_tokens[access_token] = {
                    "userinfo": {
                        "sub": idp.userinfo_sub or claims.get("sub"),
                        "email": claims.get("email"),
                        "name": "Ada Lovelace",
                        "picture": "https://example.test/ada.png",
                    }
                }
                body: dict[str, Any] = {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": 3600,
                }
                if not github:
                    sign_with = entry["sign_with"]
                    body["id_token"] = entry["id_token"] or idp.id_token(
                        claims,
                        key=idp.forged_key if sign_with == "forged" else None,
                        alg="none" if sign_with == "none" else "RS256",
                    )
                self._send(200, body)

        return Handler

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and release the port (idempotent: a test may stop it early)."""
        if self.stopped:
            return
        self.stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextmanager
def running_idp() -> Iterator[StubIdP]:
    idp = StubIdP()
    idp.start()
    try:
        yield idp
    finally:
        idp.stop()


def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sign_hs256(claims: dict[str, Any], secret: bytes) -> str:
    """An HS256 token signed by hand: the key-confusion attack (HMAC keyed by a public key)."""
    import hashlib
    import hmac

    signing_input = (
        f"{b64(json.dumps({'alg': 'HS256', 'kid': 'key-1'}).encode())}."
        f"{b64(json.dumps(claims).encode())}"
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"
