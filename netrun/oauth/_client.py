"""The authorization-code client: PKCE (S256), state, nonce, code exchange, identity.

One :class:`OAuthClient` per provider, built once and shared between threads::

    client = OAuthClient(build_provider("google", {...}))
    request = client.authorization_request("https://app.example.com/oauth/google/callback/")
    # keep request.state, request.nonce and request.code_verifier server-side, redirect
    identity = client.complete(code, redirect_uri=request.redirect_uri,
                               code_verifier=request.code_verifier, nonce=request.nonce)

Framework-neutral: no Django import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from netrun.errors import AuthenticationError, BadGatewayError
from netrun.logging import get_logger
from netrun.oauth import _authlib
from netrun.oauth._discovery import JWKSCache, MetadataCache, ProviderMetadata
from netrun.oauth._http import JSONObject, call_json, call_json_document
from netrun.oauth._idtoken import IDTokenVerifier
from netrun.oauth._providers import ProviderConfig

__all__ = [
    "AuthorizationRequest",
    "ExternalIdentity",
    "OAuthClient",
    "TokenSet",
    "request_token",
]

logger = get_logger(__name__)

_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")
# invalid_client and friends mean OUR credentials are wrong: a server-side problem that the
# user cannot fix by signing in again.
_CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client", "unsupported_grant_type"})


def safe_error_code(value: object) -> str:
    """An OAuth error code fit for logs and envelopes; anything odd becomes ``"other"``."""
    return value if isinstance(value, str) and _ERROR_CODE.match(value) else "other"


def request_token(
    http: httpx.Client,
    config: ProviderConfig,
    token_endpoint: str,
    grant_type: str,
    **params: str | None,
) -> JSONObject:
    """POST a token request with client authentication; OAuth errors become Netrun errors."""
    body = _authlib.token_request_body(grant_type, **params)
    headers, body = _authlib.client_auth(
        config.client_id, config.client_secret, config.token_endpoint_auth_method, body
    )
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    # GitHub answers form-encoded unless asked for JSON.
    headers["Accept"] = "application/json"
    status, document = call_json(
        http,
        "POST",
        token_endpoint,
        provider=config.name,
        operation=grant_type,
        content=body.encode(),
        headers=headers,
    )
    # GitHub reports errors with status 200, so the body decides, not only the status.
    if "error" in document or status != 200:
        reason = safe_error_code(document.get("error"))
        logger.warning(
            "oauth_token_request_failed",
            provider=config.name,
            grant_type=grant_type,
            reason=reason,
            upstream_status=status,
        )
        if reason in _CLIENT_ERRORS:
            raise BadGatewayError(
                "The identity provider refused this application's credentials.",
                provider=config.name,
                reason=reason,
            )
        raise AuthenticationError(
            "The authorization code is invalid or has expired."
            if reason == "invalid_grant"
            else "The identity provider refused the token request.",
            provider=config.name,
            reason=reason,
        )
    if not isinstance(document.get("access_token"), str):
        raise BadGatewayError(
            "The identity provider's token response has no access token.",
            provider=config.name,
        )
    return document


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and the secrets to keep server-side until the callback."""

    url: str
    state: str
    redirect_uri: str
    nonce: str | None = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True)
class TokenSet:
    """A token endpoint's answer. Tokens never appear in repr."""

    access_token: str = field(repr=False)
    id_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: int | None = None
    scope: str | None = None


@dataclass(frozen=True)
class ExternalIdentity:
    """Who signed in, as the identity provider vouches for them."""

    provider: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    #: Verified ID token claims, completed by the userinfo endpoint's answer.
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def email_domain(self) -> str | None:
        """The domain of a VERIFIED email address, lowercased; ``None`` otherwise."""
        if not self.email_verified or not self.email or "@" not in self.email:
            return None
        return self.email.rsplit("@", 1)[1].lower()


class OAuthClient:
    """Authorization code flow with PKCE for one provider. Thread-safe; build it once."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        http: httpx.Client | None = None,
        metadata_ttl: float = 3600.0,
        jwks_ttl: float = 3600.0,
    ) -> None:
        self.config = config
        self.http = http or httpx.Client(timeout=config.timeout, follow_redirects=False)
        self._metadata_cache = (
            MetadataCache(
                config.discovery_url, provider=config.name, http=self.http, ttl=metadata_ttl
            )
            if config.discovery_url
            else None
        )
        self._jwks_ttl = jwks_ttl
        self._jwks: JWKSCache | None = None

    @property
    def name(self) -> str:
        return self.config.name

    def metadata(self) -> ProviderMetadata:
        """Discovered metadata, with any endpoint set explicitly in the settings winning."""
        config = self.config
        if self._metadata_cache is not None:
            found = self._metadata_cache.get()
        else:
            # build_provider() guarantees both endpoints when there is no discovery URL.
            found = ProviderMetadata(
                issuer=None,
                authorization_endpoint=config.authorization_endpoint or "",
                token_endpoint=config.token_endpoint or "",
            )
        return ProviderMetadata(
            issuer=config.issuer or found.issuer,
            authorization_endpoint=config.authorization_endpoint or found.authorization_endpoint,
            token_endpoint=config.token_endpoint or found.token_endpoint,
            userinfo_endpoint=config.userinfo_endpoint or found.userinfo_endpoint,
            jwks_uri=config.jwks_uri or found.jwks_uri,
            id_token_signing_alg_values_supported=found.id_token_signing_alg_values_supported,
            code_challenge_methods_supported=found.code_challenge_methods_supported,
        )

    def authorization_request(self, redirect_uri: str) -> AuthorizationRequest:
        """A fresh state, nonce (OIDC only) and PKCE verifier, and the URL that carries them."""
        state = _authlib.random_token(43)
        nonce = _authlib.random_token(43) if self.config.is_oidc else None
        code_verifier = _authlib.random_token(64)
        params = {
            **self.config.authorize_params,
            "code_challenge": _authlib.s256_code_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        if nonce is not None:
            params["nonce"] = nonce
        url = _authlib.authorization_url(
            self.metadata().authorization_endpoint,
            client_id=self.config.client_id,
            redirect_uri=redirect_uri,
            scopes=self.config.scopes,
            state=state,
            params=params,
        )
        return AuthorizationRequest(
            url=url,
            state=state,
            redirect_uri=redirect_uri,
            nonce=nonce,
            code_verifier=code_verifier,
        )

    def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str) -> TokenSet:
        document = request_token(
            self.http,
            self.config,
            self.metadata().token_endpoint,
            "authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        )
        id_token = document.get("id_token")
        refresh_token = document.get("refresh_token")
        scope = document.get("scope")
        return TokenSet(
            access_token=document["access_token"],
            id_token=id_token if isinstance(id_token, str) else None,
            refresh_token=refresh_token if isinstance(refresh_token, str) else None,
            expires_at=_authlib.token_expires_at(document),
            scope=scope if isinstance(scope, str) else None,
        )

    def id_token_verifier(self) -> IDTokenVerifier:
        metadata = self.metadata()
        if metadata.jwks_uri is None or metadata.issuer is None:
            raise BadGatewayError(
                "The identity provider publishes no issuer or signing keys.",
                provider=self.name,
            )
        if self._jwks is None or self._jwks.jwks_uri != metadata.jwks_uri:
            self._jwks = JWKSCache(
                metadata.jwks_uri, provider=self.name, http=self.http, ttl=self._jwks_ttl
            )
        algorithms = self.config.allowed_algorithms
        if metadata.id_token_signing_alg_values_supported:
            # Accept only what both sides allow: the provider's list narrows ours.
            supported = set(metadata.id_token_signing_alg_values_supported)
            algorithms = tuple(alg for alg in algorithms if alg in supported)
        return IDTokenVerifier(
            provider=self.name,
            client_id=self.config.client_id,
            issuer=metadata.issuer,
            jwks=self._jwks,
            algorithms=algorithms,
            leeway=self.config.leeway,
            allowed_tenants=self.config.allowed_tenants,
        )

    def userinfo(self, access_token: str) -> JSONObject:
        endpoint = self.metadata().userinfo_endpoint
        if endpoint is None:
            return {}
        return self._get_api(endpoint, access_token, operation="userinfo")

    def _get_api(self, url: str, access_token: str, *, operation: str) -> JSONObject:
        status, document = call_json(
            self.http,
            "GET",
            url,
            provider=self.name,
            operation=operation,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if status != 200:
            raise BadGatewayError(
                "The identity provider refused the user information request.",
                provider=self.name,
                operation=operation,
                upstream_status=status,
            )
        return document

    def complete(
        self, code: str, *, redirect_uri: str, code_verifier: str, nonce: str | None
    ) -> ExternalIdentity:
        """Exchange the code, verify the ID token, and return who signed in."""
        tokens = self.exchange_code(code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        if not self.config.is_oidc:
            return self._github_identity(tokens.access_token)
        if tokens.id_token is None:
            raise BadGatewayError("The identity provider returned no ID token.", provider=self.name)
        claims = self.id_token_verifier().verify(tokens.id_token, nonce=nonce)
        info = self.userinfo(tokens.access_token)
        # OIDC Core 5.3.2: userinfo for another subject must be ignored, never merged.
        merged = {**info, **claims} if info and info.get("sub") == claims["sub"] else claims
        return ExternalIdentity(
            provider=self.name,
            subject=claims["sub"],
            email=_text(merged.get("email")),
            email_verified=merged.get("email_verified") is True,
            name=_text(merged.get("name")),
            claims=merged,
        )

    def _github_identity(self, access_token: str) -> ExternalIdentity:
        user = self.userinfo(access_token)
        user_id = user.get("id")
        if not isinstance(user_id, (int, str)) or isinstance(user_id, bool) or user_id == "":
            raise BadGatewayError("The identity provider returned no user id.", provider=self.name)
        email: str | None = None
        verified = False
        if self.config.emails_endpoint:
            # /user shows only the PUBLIC email, unverified; /user/emails says which is verified.
            status, document = call_json_document(
                self.http,
                "GET",
                self.config.emails_endpoint,
                provider=self.name,
                operation="emails",
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
            entries = document if status == 200 and isinstance(document, list) else []
            for entry in entries:
                if isinstance(entry, dict) and entry.get("primary") and entry.get("verified"):
                    email, verified = _text(entry.get("email")), True
        if email is None:
            email = _text(user.get("email"))
        return ExternalIdentity(
            provider=self.name,
            subject=str(user_id),
            email=email,
            email_verified=verified,
            name=_text(user.get("name")) or _text(user.get("login")),
            claims=user,
        )

    def close(self) -> None:
        self.http.close()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
