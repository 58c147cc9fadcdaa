"""Settings of ``netrun.auth``: ``AUTH_*`` variables, ``NETRUN_AUTH_*`` Django settings.

=======================================  =====================  ==================================
Field (variable / Django setting)        Default                Meaning
=======================================  =====================  ==================================
``jwt_algorithm``                        ``"RS256"``            signing algorithm: RS256/384/512,
(``AUTH_JWT_ALGORITHM`` /                                       ES256/384/512, HS256/384/512
``NETRUN_AUTH_JWT_ALGORITHM``)
``jwt_private_key``                      ``None``               PEM private key (RS/ES), secret
``jwt_public_key``                       ``None``               PEM public key (RS/ES)
``jwt_private_key_path``                 ``None``               file holding the PEM private key
``jwt_public_key_path``                  ``None``               file holding the PEM public key
``jwt_secret``                           ``None``               HMAC secret (HS*), secret
``jwt_kid``                              ``None``               ``kid`` of the active key (default:
                                                                RFC 7638 thumbprint)
``jwt_previous_keys``                    ``[]``                 retired keys that still verify
``jwt_issuer`` / ``jwt_audience``        ``None``               ``iss`` / ``aud`` set and checked
``access_token_lifetime``                ``900``                seconds
``refresh_token_lifetime``               ``604800``             seconds (7 days)
``leeway``                               ``0``                  seconds of clock skew allowed
``required_claims``                      exp, iat, sub, jti     claims a token must carry
``require_kid``                          ``False``              refuse tokens without ``kid``
``denylist``                             ``"auto"``             auto, memory, cache, redis, or a
                                                                dotted path
``denylist_cache_alias``                 ``"default"``          Django cache of ``cache``
``denylist_redis_url``                   ``None``               Redis of ``redis``
``denylist_key_prefix``                  ``"netrun:auth:"``     prefix of denylist keys
``denylist_fail_open``                   ``False``              accept access tokens unchecked
                                                                while the denylist is down
``revoke_on_user_change``                ``True``               revoke every token of a user on
                                                                password change / deactivation
``verify_cache_size``                    ``1024``               verified access tokens remembered
                                                                (0: off)
``cookie_transport``                     ``False``              access token from a cookie too
``access_cookie_name`` /                 ``"netrun_access"`` /  names of the token cookies
``refresh_cookie_name``                  ``"netrun_refresh"``
``cookie_secure`` / ``cookie_samesite``  ``True`` / ``"Lax"``   cookie flags (always httpOnly)
``cookie_domain`` / ``cookie_path`` /    ``None`` / ``"/"`` /   cookie scope
``refresh_cookie_path``                  ``"/"``
``user_id_field``                        ``"pk"``               user field ``sub`` is matched to
``stateless_users``                      ``False``              build users from claims, no query
``idp_jwks_url`` / ``idp_issuer`` /      ``None``               external IdP (Entra ID, ...)
``idp_audience``
``idp_algorithms``                       ``["RS256"]``          algorithms accepted from the IdP
``idp_jwks_cache_seconds``               ``3600``               JWKS kept this long
``idp_min_refetch_interval``             ``60``                 at most one refetch per interval
``casbin_model`` / ``casbin_policy``     ``None``               casbin files (``[casbin]`` extra)
=======================================  =====================  ==================================

Semantic problems (RS256 without keys, a short HMAC secret, bad lifetimes) are reported by the
system checks in :mod:`netrun.auth.checks`, naming the setting. This module does not import
Django.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netrun.config import (
    BaseConfig,
    Field,
    NetrunConfigDict,
    SecretStr,
    app_settings,
    field_validator,
)

__all__ = ["ALGORITHMS", "AuthConfig", "conf"]

#: Every algorithm netrun.auth signs or verifies with; ``none`` is never one of them.
ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512"}
)


class AuthConfig(BaseConfig):
    """The settings of ``netrun.auth``; a ``JWTManager`` is built from one of these."""

    model_config = NetrunConfigDict(env_prefix="AUTH_", django_prefix="NETRUN_AUTH_")

    jwt_algorithm: str = Field("RS256", description="RS256 (default), ES256, HS256, ...")
    jwt_private_key: SecretStr | None = Field(None, description="PEM private key (RS*/ES*).")
    jwt_public_key: str | None = Field(None, description="PEM public key (RS*/ES*).")
    jwt_private_key_path: Path | None = Field(None, description="File with the private key.")
    jwt_public_key_path: Path | None = Field(None, description="File with the public key.")
    jwt_secret: SecretStr | None = Field(None, description="HMAC secret (HS*).")
    jwt_kid: str | None = Field(None, description="kid of the active key.")
    jwt_previous_keys: list[dict[str, Any]] = Field(
        default_factory=list,
        secret=True,
        description='Keys that still verify: [{"kid", "public_key" or "secret", "retire_at"}].',
    )
    jwt_issuer: str | None = Field(None, description="iss claim set and required.")
    jwt_audience: str | None = Field(None, description="aud claim set and required.")
    # No `gt=0` on these: netrun.auth.E003 reports a bad lifetime naming the setting.
    access_token_lifetime: int = Field(900, description="Access token lifetime, seconds.")
    refresh_token_lifetime: int = Field(604800, description="Refresh token lifetime, seconds.")
    leeway: int = Field(0, description="Clock skew allowed on exp/nbf/iat, seconds.")
    required_claims: list[str] = Field(
        default_factory=lambda: ["exp", "iat", "sub", "jti"],
        description="Claims every token must carry.",
    )
    require_kid: bool = Field(False, description="Refuse tokens without a kid header.")
    denylist: str = Field("auto", description="auto, memory, cache, redis or a dotted path.")
    denylist_cache_alias: str = Field("default", description="Django cache of the denylist.")
    denylist_redis_url: str | None = Field(None, description="Redis URL of the redis denylist.")
    denylist_key_prefix: str = Field("netrun:auth:", description="Prefix of denylist keys.")
    denylist_fail_open: bool = Field(
        False,
        description="While the denylist store is down, accept access tokens without the "
        "revocation check (refresh and revoke still fail closed).",
    )
    revoke_on_user_change: bool = Field(
        True,
        description="Revoke every token of a user whose password changes or who is "
        "deactivated (a pre_save receiver on the user model).",
    )
    verify_cache_size: int = Field(
        1024,
        description="Access tokens whose verification is remembered (LRU by SHA-256 of the "
        "token; expiry and revocation are checked on every hit); 0 turns the cache off.",
    )
    cookie_transport: bool = Field(
        False,
        description="Read the access token from an httpOnly cookie when the request has no "
        "Authorization header (unsafe methods then need a valid CSRF token).",
    )
    access_cookie_name: str = Field("netrun_access", description="Cookie of the access token.")
    refresh_cookie_name: str = Field("netrun_refresh", description="Cookie of the refresh token.")
    cookie_secure: bool = Field(True, description="Secure flag of the token cookies.")
    cookie_samesite: str = Field(
        "Lax", description="SameSite of the token cookies: Lax, Strict, None."
    )
    cookie_domain: str | None = Field(None, description="Domain of the token cookies.")
    cookie_path: str = Field("/", description="Path of the access-token cookie.")
    refresh_cookie_path: str = Field(
        "/", description="Path of the refresh-token cookie (e.g. the refresh endpoint's)."
    )
    user_id_field: str = Field("pk", description="User model field matched to sub.")
    stateless_users: bool = Field(False, description="Users from claims, no database query.")
    idp_jwks_url: str | None = Field(None, description="JWKS URL of an external IdP.")
    idp_issuer: str | None = Field(None, description="iss of the external IdP's tokens.")
    idp_audience: str | None = Field(None, description="aud the IdP's tokens must carry.")
    idp_algorithms: list[str] = Field(
        default_factory=lambda: ["RS256"], description="Algorithms accepted from the IdP."
    )
    idp_jwks_cache_seconds: int = Field(3600, description="How long the IdP's JWKS is kept.")
    idp_min_refetch_interval: int = Field(
        60, description="At most one JWKS refetch per interval on an unknown kid, seconds."
    )
    casbin_model: str | None = Field(None, description="casbin model file.")
    casbin_policy: str | None = Field(None, description="casbin policy file or adapter.")

    @field_validator("jwt_private_key", "jwt_secret", mode="before")
    @classmethod
    def _text_secret(cls, value: Any) -> Any:
        # Keys are often read from files as bytes (the seeds' rsa_key_pair fixture does).
        return value.decode() if isinstance(value, bytes) else value

    @field_validator("jwt_public_key", mode="before")
    @classmethod
    def _text_key(cls, value: Any) -> Any:
        return value.decode() if isinstance(value, bytes) else value

    @field_validator("jwt_algorithm")
    @classmethod
    def _known_algorithm(cls, value: str) -> str:
        upper = value.strip().upper()
        if upper not in ALGORITHMS:
            raise ValueError(f"unsupported algorithm; use one of {', '.join(sorted(ALGORITHMS))}")
        return upper

    @field_validator("idp_algorithms")
    @classmethod
    def _known_idp_algorithms(cls, value: list[str]) -> list[str]:
        upper = [item.strip().upper() for item in value]
        unknown = [item for item in upper if item not in ALGORITHMS or item.startswith("HS")]
        if unknown:
            raise ValueError("IdP tokens are verified with RS*/ES* algorithms only")
        return upper

    @property
    def symmetric(self) -> bool:
        """True for HS* algorithms (a shared secret, nothing published in the JWKS)."""
        return self.jwt_algorithm.startswith("HS")


conf = app_settings(AuthConfig)
