"""Netrun OAuth: OAuth 2.0 / OpenID Connect login and service-to-service clients.

Level 2. The framework-neutral core (no Django import) is re-exported here::

    from netrun.oauth import OAuthClient, ClientCredentialsClient, build_provider

    provider = build_provider("google", {"type": "google", "client_id": "...",
                                         "client_secret": "..."})
    client = OAuthClient(provider)                # PKCE, state, nonce, ID token verification
    service = ClientCredentialsClient(provider)   # cached client-credentials tokens

This module imports without Django settings configured. Django glue is referenced by dotted
path: ``netrun.oauth.urls`` (login and callback views), ``netrun.oauth.clients`` (clients
built from ``NETRUN_OAUTH_PROVIDERS``), ``netrun.oauth.login`` (user linking, tenant mapping,
token issuing hooks), ``netrun.oauth.models.OAuthIdentity``.
"""

from __future__ import annotations

from netrun.oauth._client import (
    AuthorizationRequest,
    ExternalIdentity,
    OAuthClient,
    TokenSet,
)
from netrun.oauth._client_credentials import AccessToken, ClientCredentialsClient
from netrun.oauth._discovery import JWKSCache, MetadataCache, ProviderMetadata
from netrun.oauth._idtoken import IDTokenVerifier
from netrun.oauth._providers import (
    DEFAULT_ID_TOKEN_ALGORITHMS,
    PROVIDER_TYPES,
    ProviderConfig,
    ProviderType,
    build_provider,
)

__all__ = [
    "DEFAULT_ID_TOKEN_ALGORITHMS",
    "PROVIDER_TYPES",
    "AccessToken",
    "AuthorizationRequest",
    "ClientCredentialsClient",
    "ExternalIdentity",
    "IDTokenVerifier",
    "JWKSCache",
    "MetadataCache",
    "OAuthClient",
    "ProviderConfig",
    "ProviderMetadata",
    "ProviderType",
    "TokenSet",
    "build_provider",
]
