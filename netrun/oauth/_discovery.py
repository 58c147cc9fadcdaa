"""OIDC discovery documents and JWKS key sets, fetched over HTTP and cached.

Both caches are safe to share between threads: a lock makes N concurrent callers that find
the cache empty wait for ONE fetch instead of sending N.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from netrun.errors import BadGatewayError
from netrun.logging import get_logger
from netrun.oauth._http import JSONObject, call_json

__all__ = ["JWKSCache", "MetadataCache", "ProviderMetadata"]

logger = get_logger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of an OIDC discovery document (or of a provider's settings) Netrun uses."""

    issuer: str | None
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    id_token_signing_alg_values_supported: tuple[str, ...] = ()
    code_challenge_methods_supported: tuple[str, ...] = ()

    @classmethod
    def from_document(cls, document: JSONObject, *, provider: str) -> ProviderMetadata:
        def text(key: str) -> str | None:
            value = document.get(key)
            return value if isinstance(value, str) and value else None

        def texts(key: str) -> tuple[str, ...]:
            value = document.get(key)
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        authorization_endpoint = text("authorization_endpoint")
        token_endpoint = text("token_endpoint")
        if authorization_endpoint is None or token_endpoint is None:
            raise BadGatewayError(
                "The identity provider's discovery document is incomplete.",
                provider=provider,
                operation="discovery",
            )
        return cls(
            issuer=text("issuer"),
            authorization_endpoint=authorization_endpoint,
            token_endpoint=token_endpoint,
            userinfo_endpoint=text("userinfo_endpoint"),
            jwks_uri=text("jwks_uri"),
            id_token_signing_alg_values_supported=texts("id_token_signing_alg_values_supported"),
            code_challenge_methods_supported=texts("code_challenge_methods_supported"),
        )


class MetadataCache:
    """One provider's discovery document, fetched on first use and kept for ``ttl`` seconds."""

    def __init__(
        self,
        discovery_url: str,
        *,
        provider: str,
        http: httpx.Client,
        ttl: float = 3600.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.discovery_url = discovery_url
        self.provider = provider
        self._http = http
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._value: ProviderMetadata | None = None
        self._fetched_at = 0.0

    def get(self) -> ProviderMetadata:
        value = self._value
        if value is not None and self._clock() - self._fetched_at < self._ttl:
            return value
        with self._lock:
            # Another thread may have refreshed it while this one waited for the lock.
            if self._value is not None and self._clock() - self._fetched_at < self._ttl:
                return self._value
            status, document = call_json(
                self._http, "GET", self.discovery_url, provider=self.provider, operation="discovery"
            )
            if status != 200:
                raise BadGatewayError(
                    "The identity provider's discovery document is unavailable.",
                    provider=self.provider,
                    operation="discovery",
                    upstream_status=status,
                )
            self._value = ProviderMetadata.from_document(document, provider=self.provider)
            self._fetched_at = self._clock()
            logger.info("oauth_discovery_fetched", provider=self.provider, result="ok")
            return self._value


class JWKSCache:
    """A provider's signing keys by ``kid``.

    An unknown ``kid`` triggers ONE refetch (the provider may have rotated its keys), and
    then no other refetch for ``refetch_interval`` seconds, so tokens with made-up ``kid``
    values cannot turn Netrun into a traffic amplifier against the provider.
    """

    def __init__(
        self,
        jwks_uri: str,
        *,
        provider: str,
        http: httpx.Client,
        ttl: float = 3600.0,
        refetch_interval: float = 60.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.jwks_uri = jwks_uri
        self.provider = provider
        self._http = http
        self._ttl = ttl
        self._refetch_interval = refetch_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Key] = {}
        self._unnamed: list[Key] = []
        self._fetched_at: float | None = None
        self._last_forced: float | None = None

    def _fresh(self) -> bool:
        return self._fetched_at is not None and self._clock() - self._fetched_at < self._ttl

    def _fetch(self) -> None:
        status, document = call_json(
            self._http, "GET", self.jwks_uri, provider=self.provider, operation="jwks"
        )
        if status != 200 or not isinstance(document.get("keys"), list):
            raise BadGatewayError(
                "The identity provider's signing keys are unavailable.",
                provider=self.provider,
                operation="jwks",
                upstream_status=status,
            )
        keys: dict[str, Key] = {}
        unnamed: list[Key] = []
        for entry in document["keys"]:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                # A key of a type this library does not know is skipped, not fatal (RFC 7517 5).
                key = KeySet.import_key_set({"keys": [entry]}).keys[0]
            except (JoseError, ValueError, TypeError):
                continue
            kid = entry.get("kid")
            if isinstance(kid, str) and kid:
                keys[kid] = key
            else:
                unnamed.append(key)
        self._keys, self._unnamed = keys, unnamed
        self._fetched_at = self._clock()
        logger.info("oauth_jwks_fetched", provider=self.provider, keys=len(keys) + len(unnamed))

    def get(self, kid: str | None) -> Key | None:
        """The key for ``kid`` (``None``: the only key, if there is exactly one), or ``None``."""
        with self._lock:
            fetched_now = not self._fresh()
            if fetched_now:
                self._fetch()
            key = self._lookup(kid)
            if key is not None or fetched_now:
                return key
            now = self._clock()
            if self._last_forced is not None and now - self._last_forced < self._refetch_interval:
                return None
            self._last_forced = now
            self._fetch()
            return self._lookup(kid)

    def _lookup(self, kid: str | None) -> Key | None:
        if kid is None:
            candidates = [*self._keys.values(), *self._unnamed]
            return candidates[0] if len(candidates) == 1 else None
        return self._keys.get(kid)
