"""Client-credentials tokens (RFC 6749, 4.4) for service-to-service calls, cached.

A token is reused until ``refresh_margin`` seconds before it expires (at most half its
lifetime, so short-lived tokens are still reused). When N threads ask for a token that is
missing or stale, one of them fetches it and the others wait for that fetch: the provider
sees one request, not N. Tokens are cached per scope set::

    client = ClientCredentialsClient(build_provider("billing-api", {...}))
    headers = client.authorization_header()          # {"Authorization": "Bearer ..."}

Framework-neutral: no Django import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx

from netrun.errors import BadGatewayError
from netrun.logging import get_logger
from netrun.oauth._client import request_token
from netrun.oauth._discovery import MetadataCache
from netrun.oauth._providers import ProviderConfig

__all__ = ["AccessToken", "ClientCredentialsClient"]

logger = get_logger(__name__)

ScopeKey = tuple[str, ...]


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and when (by the client's clock) it stops being reused."""

    value: str = field(repr=False)
    token_type: str
    expires_at: float
    refresh_at: float
    scopes: ScopeKey = ()

    def authorization_header(self) -> dict[str, str]:
        # RFC 6750 clients send "Bearer" whatever case the server used in token_type.
        kind = "Bearer" if self.token_type.lower() == "bearer" else self.token_type
        return {"Authorization": f"{kind} {self.value}"}


class ClientCredentialsClient:
    """Fetch and cache client-credentials tokens for one provider. Thread-safe."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        http: httpx.Client | None = None,
        refresh_margin: float = 60.0,
        default_lifetime: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.http = http or httpx.Client(timeout=config.timeout, follow_redirects=False)
        self.refresh_margin = refresh_margin
        self.default_lifetime = default_lifetime
        self._clock = clock
        self._tokens: dict[ScopeKey, AccessToken] = {}
        self._locks: dict[ScopeKey, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._metadata = (
            MetadataCache(config.discovery_url, provider=config.name, http=self.http)
            if config.discovery_url and not config.token_endpoint
            else None
        )

    def _token_endpoint(self) -> str:
        if self.config.token_endpoint:
            return self.config.token_endpoint
        if self._metadata is None:
            raise BadGatewayError("No token endpoint is known.", provider=self.config.name)
        return self._metadata.get().token_endpoint

    def _lock_for(self, key: ScopeKey) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def _cached(self, key: ScopeKey) -> AccessToken | None:
        token = self._tokens.get(key)
        if token is not None and self._clock() < token.refresh_at:
            return token
        return None

    def get_token(self, scopes: Iterable[str] | None = None) -> AccessToken:
        """A valid token for ``scopes`` (default: the provider's ``service_scopes``)."""
        key: ScopeKey = tuple(
            sorted(set(scopes if scopes is not None else self.config.service_scopes))
        )
        token = self._cached(key)
        if token is not None:
            return token
        with self._lock_for(key):
            # The thread that held the lock before this one has probably just fetched it.
            token = self._cached(key)
            if token is not None:
                return token
            token = self._fetch(key)
            self._tokens[key] = token
            return token

    def authorization_header(self, scopes: Iterable[str] | None = None) -> dict[str, str]:
        return self.get_token(scopes).authorization_header()

    def invalidate(self, scopes: Iterable[str] | None = None) -> None:
        """Forget a cached token (after the API answered 401 with it, say)."""
        if scopes is None:
            self._tokens.clear()
        else:
            self._tokens.pop(tuple(sorted(set(scopes))), None)

    def _fetch(self, key: ScopeKey) -> AccessToken:
        started = self._clock()
        document = request_token(
            self.http,
            self.config,
            self._token_endpoint(),
            "client_credentials",
            scope=" ".join(key) or None,
            audience=self.config.service_audience,
        )
        expires_in = document.get("expires_in")
        try:
            lifetime = float(expires_in) if expires_in is not None else self.default_lifetime
        except (TypeError, ValueError):
            lifetime = self.default_lifetime
        lifetime = max(lifetime, 0.0)
        margin = min(self.refresh_margin, lifetime / 2)
        token_type = document.get("token_type")
        logger.info(
            "oauth_client_credentials_fetched",
            provider=self.config.name,
            scopes=" ".join(key),
            expires_in=lifetime,
            result="ok",
        )
        return AccessToken(
            value=document["access_token"],
            token_type=token_type if isinstance(token_type, str) else "Bearer",
            expires_at=started + lifetime,
            refresh_at=started + lifetime - margin,
            scopes=key,
        )

    def close(self) -> None:
        self.http.close()
