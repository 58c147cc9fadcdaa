"""Tokens from an external identity provider (Microsoft Entra ID, Auth0, Keycloak, ...).

:class:`JWKSVerifier` checks a token against the provider's published JWKS::

    verifier = JWKSVerifier(
        "https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys",
        issuer="https://login.microsoftonline.com/<tenant>/v2.0",
        audience="api://helpdesk",
    )
    claims = verifier.verify(token)

The key set is fetched on first use and kept for ``cache_seconds``. A token whose ``kid`` is
not in the set (the provider rotated its keys) triggers **one** refetch, and no other refetch
for ``min_refetch_interval`` seconds: a flood of tokens with made-up ``kid`` values costs the
provider one request per interval, never one per request. Concurrent callers share one fetch.
If the provider is unreachable the last good key set stays in use.

The accepted algorithms come from the constructor (never from the token header) and must be
asymmetric: a JWKS holds public keys, and accepting HS256 would let anyone who read the JWKS
sign tokens with it.

Framework-neutral: no Django import; fetching uses the standard library.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import jwt

from netrun.auth.exceptions import TokenExpiredError, TokenRejectedError
from netrun.auth.keys import JWTKey, valid_kid
from netrun.auth.tokens import pyjwt_reason, unverified_header
from netrun.errors import ConfigurationError, NetrunException
from netrun.logging import get_logger

__all__ = ["JWKSVerifier", "fetch_jwks"]

logger = get_logger(__name__)

#: A JWKS larger than this is not a key set.
MAX_JWKS_BYTES = 512 * 1024

Fetcher = Callable[[str], Mapping[str, Any]]


def fetch_jwks(url: str, *, timeout: float = 5.0) -> Mapping[str, Any]:
    """GET ``url`` and parse it as a JWKS document."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - scheme checked in JWKSVerifier
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked in JWKSVerifier
        body = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("JWKS document too large")
    document = json.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    return document


class JWKSVerifier:
    """Verify tokens signed by an external IdP, with its JWKS cached and refetched sparingly."""

    def __init__(
        self,
        jwks_url: str,
        *,
        issuer: str,
        audience: str | Iterable[str],
        algorithms: Iterable[str] = ("RS256",),
        cache_seconds: float = 3600,
        min_refetch_interval: float = 60,
        leeway: int = 0,
        required_claims: Iterable[str] = ("exp", "iat", "sub"),
        timeout: float = 5.0,
        fetcher: Fetcher | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if urlsplit(jwks_url).scheme not in ("https", "http"):
            raise ConfigurationError("The IdP JWKS URL must be http(s).")
        self.algorithms = tuple(algorithm.upper() for algorithm in algorithms)
        if not self.algorithms or any(a[:2] not in ("RS", "ES") for a in self.algorithms):
            raise ConfigurationError("IdP tokens are verified with RS*/ES* algorithms only.")
        if not issuer or not audience:
            raise ConfigurationError("An IdP verifier needs the issuer and the audience.")
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience if isinstance(audience, str) else list(audience)
        self.cache_seconds = cache_seconds
        self.min_refetch_interval = min_refetch_interval
        self.leeway = leeway
        self.required_claims = sorted({*required_claims, "exp", "iss", "aud"})
        self.timeout = timeout
        self._fetcher = fetcher
        self._clock = clock
        self._keys: dict[str, list[JWTKey]] = {}
        self._fetched_at: float | None = None
        self._last_attempt: float | None = None
        self._lock = threading.Lock()
        #: How many times the JWKS was requested (tests and metrics read it).
        self.fetch_count = 0

    def __repr__(self) -> str:
        return f"JWKSVerifier(jwks_url={self.jwks_url!r}, issuer={self.issuer!r})"

    # ------------------------------------------------------------------------- key set

    def _fetch(self) -> None:
        """Fetch the key set (caller holds the lock); keep the old one on failure."""
        self._last_attempt = self._clock()
        self.fetch_count += 1
        try:
            fetcher = self._fetcher or (lambda url: fetch_jwks(url, timeout=self.timeout))
            document = fetcher(self.jwks_url)
        except Exception as error:
            logger.error(
                "idp_jwks_fetch_failed", jwks_url=self.jwks_url, error=type(error).__name__
            )
            return
        keys: dict[str, list[JWTKey]] = {}
        for entry in document.get("keys", []):
            if not isinstance(entry, Mapping) or not valid_kid(entry.get("kid")):
                continue
            for algorithm in self._algorithms_for(entry):
                try:
                    key = JWTKey.from_jwk(entry, algorithm=algorithm)
                except NetrunException:
                    continue
                keys.setdefault(key.kid, []).append(key)
        self._keys = keys
        self._fetched_at = self._last_attempt
        logger.info("idp_jwks_fetched", jwks_url=self.jwks_url, keys=len(keys))

    def _algorithms_for(self, entry: Mapping[str, Any]) -> list[str]:
        # The JWK's own "alg" may narrow the configured list, never widen it.
        declared = entry.get("alg")
        kty = entry.get("kty")
        family = {"RSA": ("RS",), "EC": ("ES",)}.get(str(kty), ())
        return [
            algorithm
            for algorithm in self.algorithms
            if algorithm[:2] in family and (declared is None or declared == algorithm)
        ]

    def _stale(self, now: float) -> bool:
        return self._fetched_at is None or now - self._fetched_at >= self.cache_seconds

    def _may_refetch(self, now: float) -> bool:
        return self._last_attempt is None or now - self._last_attempt >= self.min_refetch_interval

    def key_for(self, kid: str, algorithm: str) -> JWTKey | None:
        """The key for ``kid``, fetching the JWKS when stale or when ``kid`` is new."""
        now = self._clock()
        if self._stale(now) and self._may_refetch(now):
            with self._lock:
                if self._stale(self._clock()) and self._may_refetch(self._clock()):
                    self._fetch()
        key = self._match(kid, algorithm)
        if key is None and self._may_refetch(self._clock()):
            with self._lock:
                # Another thread may have refetched while this one waited for the lock.
                key = self._match(kid, algorithm)
                if key is None and self._may_refetch(self._clock()):
                    self._fetch()
                    key = self._match(kid, algorithm)
        return key

    def _match(self, kid: str, algorithm: str) -> JWTKey | None:
        for key in self._keys.get(kid, ()):
            if key.algorithm == algorithm:
                return key
        return None

    # ------------------------------------------------------------------------- verifying

    def verify(self, token: str) -> dict[str, Any]:
        """Verify ``token`` and return its claims; the errors are those of ``JWTManager``."""
        if not isinstance(token, str) or not token or len(token) > 16 * 1024:
            raise TokenRejectedError("malformed")
        header = unverified_header(token)
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in self.algorithms:
            raise TokenRejectedError("algorithm_not_allowed")
        if kid is None:
            raise TokenRejectedError("missing_kid")
        if not valid_kid(kid):
            raise TokenRejectedError("malformed_kid")
        key = self.key_for(kid, algorithm)
        if key is None:
            raise TokenRejectedError("unknown_kid")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.verifying_key,
                algorithms=[key.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": self.required_claims},
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpiredError("The token has expired.") from None
        except jwt.InvalidTokenError as error:
            raise TokenRejectedError(pyjwt_reason(error)) from None
        return claims
