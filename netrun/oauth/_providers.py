"""Provider descriptions: what Netrun needs to know to talk to one identity provider.

Four types are built in: ``entra`` (Microsoft Entra ID), ``google``, ``github`` (OAuth 2.0
without OIDC: the user comes from GitHub's REST API) and ``oidc`` (any OpenID Connect issuer,
found through its discovery document). Every well-known endpoint may be overridden, which is
also how tests point a ``github`` provider at a local stub.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

__all__ = [
    "DEFAULT_ID_TOKEN_ALGORITHMS",
    "PROVIDER_TYPES",
    "ProviderConfig",
    "ProviderType",
    "build_provider",
]

ProviderType = Literal["entra", "google", "github", "oidc"]
PROVIDER_TYPES: tuple[ProviderType, ...] = ("entra", "google", "github", "oidc")

#: Asymmetric algorithms only: HS* would make the client secret a signing key, and ``none``
#: is never acceptable for an ID token obtained through the code flow.
DEFAULT_ID_TOKEN_ALGORITHMS: tuple[str, ...] = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip
_NEVER_ALLOWED = frozenset({"none", "HS256", "HS384", "HS512"})

_ENTRA_DISCOVERY = (
    "https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration"
)
_GOOGLE_DISCOVERY = "https://accounts.google.com/.well-known/openid-configuration"
_GITHUB = {
    "authorization_endpoint": "https://github.com/login/oauth/authorize",
    "token_endpoint": "https://github.com/login/oauth/access_token",
    "userinfo_endpoint": "https://api.github.com/user",
    "emails_endpoint": "https://api.github.com/user/emails",
}
_DEFAULT_SCOPES: dict[ProviderType, tuple[str, ...]] = {
    "entra": ("openid", "profile", "email"),
    "google": ("openid", "profile", "email"),
    "github": ("read:user", "user:email"),
    "oidc": ("openid", "profile", "email"),
}

_KNOWN_KEYS = frozenset(
    {
        "type", "client_id", "client_secret", "scopes", "discovery_url",
        "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
        "emails_endpoint", "issuer", "tenant", "allowed_tenants", "id_token_algorithms",
        "redirect_uri", "token_endpoint_auth_method", "authorize_params", "timeout", "leeway",
        "service_scopes", "service_audience",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ProviderConfig:
    """One identity provider, as the clients use it. ``client_secret`` never appears in repr."""

    name: str
    type: ProviderType
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ()
    discovery_url: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    emails_endpoint: str | None = None
    issuer: str | None = None
    #: Entra ID directory: a tenant ID, ``organizations`` or ``common`` (multi-tenant).
    tenant: str | None = None
    #: Entra ID multi-tenant apps: the only ``tid`` values accepted (empty: any).
    allowed_tenants: tuple[str, ...] = ()
    id_token_algorithms: tuple[str, ...] = DEFAULT_ID_TOKEN_ALGORITHMS
    redirect_uri: str | None = None
    token_endpoint_auth_method: Literal["client_secret_basic", "client_secret_post"] = (
        "client_secret_basic"  # noqa: S105 - a method name, not a secret
    )
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    #: Clock skew tolerated on ``exp`` / ``iat`` / ``nbf``, seconds.
    leeway: int = 60
    service_scopes: tuple[str, ...] = ()
    service_audience: str | None = None

    @property
    def is_oidc(self) -> bool:
        """GitHub speaks OAuth 2.0 only: no ID token, no nonce, the user comes from its API."""
        return self.type != "github"

    @property
    def allowed_algorithms(self) -> tuple[str, ...]:
        return tuple(alg for alg in self.id_token_algorithms if alg not in _NEVER_ALLOWED)


def _scopes(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    return tuple(str(item) for item in value)


def unknown_keys(options: Mapping[str, Any]) -> list[str]:
    """Keys of a provider's settings that Netrun does not know (typos, for the checks)."""
    return sorted(set(options) - _KNOWN_KEYS)


def build_provider(name: str, options: Mapping[str, Any]) -> ProviderConfig:
    """Build a :class:`ProviderConfig` from a settings mapping; ``ValueError`` names the problem.

    The system checks run the same function, so a project that passes ``manage.py check``
    never meets these errors inside a request.
    """
    kind = options.get("type")
    if kind not in PROVIDER_TYPES:
        raise ValueError(f"unknown provider type {kind!r}; expected one of {PROVIDER_TYPES}")
    kind = cast(ProviderType, kind)
    client_id = options.get("client_id")
    if not client_id or not isinstance(client_id, str):
        raise ValueError("client_id is required")
    values: dict[str, Any] = {
        key: options[key]
        for key in (
            "client_secret", "discovery_url", "authorization_endpoint", "token_endpoint",
            "userinfo_endpoint", "jwks_uri", "emails_endpoint", "issuer", "tenant",
            "redirect_uri", "service_audience",
        )
        if options.get(key)
    }  # fmt: skip
    if kind == "entra":
        values.setdefault("tenant", "common")
        values.setdefault("discovery_url", _ENTRA_DISCOVERY.format(tenant=values["tenant"]))
    elif kind == "google":
        values.setdefault("discovery_url", _GOOGLE_DISCOVERY)
    elif kind == "github":
        for key, url in _GITHUB.items():
            values.setdefault(key, url)
    elif not values.get("discovery_url") and not (
        values.get("authorization_endpoint") and values.get("token_endpoint")
    ):
        raise ValueError("an oidc provider needs discovery_url (or its endpoints)")
    method = options.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in ("client_secret_basic", "client_secret_post"):
        raise ValueError(f"unsupported token_endpoint_auth_method {method!r}")
    algorithms = _scopes(options.get("id_token_algorithms")) or DEFAULT_ID_TOKEN_ALGORITHMS
    refused = sorted(set(algorithms) & _NEVER_ALLOWED)
    if refused:
        raise ValueError(f"id_token_algorithms may not contain {refused}")
    return ProviderConfig(
        name=name,
        type=kind,
        client_id=client_id,
        scopes=_scopes(options.get("scopes")) or _DEFAULT_SCOPES[kind],
        allowed_tenants=_scopes(options.get("allowed_tenants")),
        id_token_algorithms=algorithms,
        token_endpoint_auth_method=method,
        authorize_params=dict(options.get("authorize_params") or {}),
        timeout=float(options.get("timeout", 10.0)),
        leeway=int(options.get("leeway", 60)),
        service_scopes=_scopes(options.get("service_scopes")),
        **values,
    )
