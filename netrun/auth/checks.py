"""System checks of ``netrun.auth``, registered in ``NetrunAuthConfig.ready()``.

========================  =========================================================================
ID                        Reported when
========================  =========================================================================
``netrun.auth.E001``      An RS*/ES* algorithm has no key: neither ``NETRUN_AUTH_JWT_PRIVATE_KEY``
                          (``_PATH``) nor ``NETRUN_AUTH_JWT_PUBLIC_KEY`` (``_PATH``), while some
                          ``NETRUN_AUTH_JWT_*`` setting is set (an app installed with no JWT
                          setting at all is not reported: it issues and accepts nothing).
``netrun.auth.E002``      An HS* algorithm without ``NETRUN_AUTH_JWT_SECRET``, or with a secret
                          shorter than the hash (32 bytes for HS256, RFC 7518 section 3.2).
``netrun.auth.E003``      A token lifetime is not positive, or the refresh lifetime is not longer
                          than the access lifetime.
``netrun.auth.E004``      The key material does not load: bad PEM, wrong key type for the
                          algorithm, an RSA key under 2048 bits, an unreadable key file, a bad
                          ``kid``, a malformed ``NETRUN_AUTH_JWT_PREVIOUS_KEYS`` entry.
``netrun.auth.E005``      ``NETRUN_AUTH_LEEWAY`` is negative or over 300 seconds.
``netrun.auth.E006``      An external IdP is half configured: ``NETRUN_AUTH_IDP_JWKS_URL`` without
                          ``NETRUN_AUTH_IDP_ISSUER`` and ``NETRUN_AUTH_IDP_AUDIENCE``, or not http(s).
``netrun.auth.E007``      ``NETRUN_AUTH_DENYLIST`` is ``redis`` without ``NETRUN_AUTH_DENYLIST_REDIS_URL``,
                          or ``cache`` with a ``NETRUN_AUTH_DENYLIST_CACHE_ALIAS`` not in ``CACHES``.
``netrun.auth.E008``      ``NETRUN_AUTH_VERIFY_CACHE_SIZE`` is negative (0 turns the cache off).
``netrun.auth.E009``      ``NETRUN_AUTH_COOKIE_SAMESITE`` is not ``Lax``, ``Strict`` or ``None``, or
                          is ``None`` while ``NETRUN_AUTH_COOKIE_SECURE`` is off (browsers drop
                          such a cookie).
``netrun.auth.W001``      The denylist is per process (``memory``, or ``cache`` on a local-memory
                          cache) while ``APP_ENVIRONMENT`` is production and JWTs are configured:
                          a revoked token stays valid on the other workers.
``netrun.auth.W002``      (``check --deploy``) The denylist's Redis keeps nothing across a
                          restart: neither ``appendonly yes`` nor an RDB ``save`` schedule.
                          A restart forgets every revocation and spent refresh token.
``netrun.auth.W003``      (``check --deploy``) The denylist's Redis could not be asked about its
                          persistence (unreachable, or ``CONFIG`` disabled by the provider).
``netrun.auth.W004``      ``NETRUN_AUTH_COOKIE_TRANSPORT`` is on but ``CsrfViewMiddleware`` is not
                          in ``MIDDLEWARE``: the ``csrftoken`` cookie never reaches the browser,
                          so every unsafe cookie-authenticated request is refused.
``netrun.auth.W005``      ``NETRUN_AUTH_COOKIE_TRANSPORT`` is on with ``NETRUN_AUTH_COOKIE_SECURE``
                          off while ``APP_ENVIRONMENT`` is production: the tokens travel in
                          clear text over http.
========================  =========================================================================

A settings object that does not validate at all is reported by ``netrun.config.E007``; these
checks then stay silent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from netrun.auth.conf import AuthConfig
from netrun.auth.keys import hmac_min_bytes, key_ring_from_config
from netrun.errors import NetrunException

__all__ = ["check_auth_settings", "check_denylist_persistence"]

MAX_LEEWAY = 300


def _config() -> AuthConfig | None:
    try:
        return AuthConfig()
    except NetrunException:
        return None


def check_auth_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    config = _config()
    if config is None:
        return []
    errors: list[CheckMessage] = []
    errors += _check_keys(config)
    errors += _check_lifetimes(config)
    if config.leeway < 0 or config.leeway > MAX_LEEWAY:
        errors.append(
            Error(
                f"NETRUN_AUTH_LEEWAY is {config.leeway}: it must be between 0 and {MAX_LEEWAY}.",
                hint="A few seconds covers clock skew; more keeps expired tokens alive.",
                id="netrun.auth.E005",
            )
        )
    errors += _check_idp(config)
    errors += _check_denylist(config)
    if config.verify_cache_size < 0:
        errors.append(
            Error(
                f"NETRUN_AUTH_VERIFY_CACHE_SIZE is {config.verify_cache_size}: it must be 0 "
                "(no cache) or more.",
                id="netrun.auth.E008",
            )
        )
    errors += _check_cookies(config)
    return errors


CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"


def _check_cookies(config: AuthConfig) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    samesite = config.cookie_samesite.lower()
    if samesite not in {"lax", "strict", "none"} or (
        samesite == "none" and not config.cookie_secure
    ):
        errors.append(
            Error(
                f"NETRUN_AUTH_COOKIE_SAMESITE is {config.cookie_samesite!r}: use 'Lax', "
                "'Strict', or 'None' with NETRUN_AUTH_COOKIE_SECURE on.",
                hint="Browsers refuse a SameSite=None cookie that is not Secure.",
                id="netrun.auth.E009",
            )
        )
    if not config.cookie_transport:
        return errors
    if CSRF_MIDDLEWARE not in (getattr(settings, "MIDDLEWARE", None) or []):
        errors.append(
            Warning(
                "NETRUN_AUTH_COOKIE_TRANSPORT is on but CsrfViewMiddleware is not in MIDDLEWARE: "
                "the csrftoken cookie never reaches the browser, so unsafe requests "
                "authenticated by the cookie are all refused.",
                hint=f"Add {CSRF_MIDDLEWARE!r} to MIDDLEWARE.",
                id="netrun.auth.W004",
            )
        )
    if not config.cookie_secure and config.is_production:
        errors.append(
            Warning(
                "NETRUN_AUTH_COOKIE_SECURE is off in production: the token cookies are sent "
                "over plain http too.",
                hint="Leave NETRUN_AUTH_COOKIE_SECURE at True (the default) behind https.",
                id="netrun.auth.W005",
            )
        )
    return errors


def _check_keys(config: AuthConfig) -> list[CheckMessage]:
    algorithm = config.jwt_algorithm
    if config.symmetric:
        secret = config.jwt_secret.get_secret_value() if config.jwt_secret else ""
        minimum = hmac_min_bytes(algorithm)
        if len(secret.encode()) < minimum:
            return [
                Error(
                    f"NETRUN_AUTH_JWT_SECRET is {'missing' if not secret else 'too short'}: "
                    f"{algorithm} needs a secret of at least {minimum} bytes.",
                    hint='Generate one with: python -c "import secrets; print(secrets.token_urlsafe(64))"',
                    id="netrun.auth.E002",
                )
            ]
    elif not (
        config.jwt_private_key
        or config.jwt_public_key
        or config.jwt_private_key_path
        or config.jwt_public_key_path
    ):
        if not _jwt_configured(config):
            # Installed but unused (no JWT setting at all): nothing to report yet.
            return []
        return [
            Error(
                f"{algorithm} needs a key: set NETRUN_AUTH_JWT_PRIVATE_KEY (to issue tokens) "
                "or NETRUN_AUTH_JWT_PUBLIC_KEY (to verify only), or their _PATH variants.",
                hint="Or use AUTH_JWT_PRIVATE_KEY / AUTH_JWT_PRIVATE_KEY_FILE in the environment.",
                id="netrun.auth.E001",
            )
        ]
    try:
        key_ring_from_config(config)
    except NetrunException as error:
        return [
            Error(
                f"netrun.auth keys do not load: {error.message}",
                hint="Check NETRUN_AUTH_JWT_ALGORITHM against the key type and the PEM text.",
                id="netrun.auth.E004",
            )
        ]
    return []


def _jwt_configured(config: AuthConfig) -> bool:
    """True when any ``jwt_*`` setting comes from somewhere other than its default."""
    from netrun.config import Source

    return any(
        name.startswith("jwt_") and origin.source is not Source.DEFAULT
        for name, origin in config.value_sources().items()
    )


def _check_lifetimes(config: AuthConfig) -> list[CheckMessage]:
    access, refresh = config.access_token_lifetime, config.refresh_token_lifetime
    if access <= 0 or refresh <= 0 or refresh <= access:
        return [
            Error(
                f"NETRUN_AUTH_ACCESS_TOKEN_LIFETIME ({access}) and "
                f"NETRUN_AUTH_REFRESH_TOKEN_LIFETIME ({refresh}) must be positive, and the "
                "refresh lifetime longer than the access lifetime.",
                hint="Typical values: 900 (15 minutes) and 604800 (7 days).",
                id="netrun.auth.E003",
            )
        ]
    return []


def _check_idp(config: AuthConfig) -> list[CheckMessage]:
    url = config.idp_jwks_url
    if not url:
        return []
    if urlsplit(url).scheme not in ("https", "http") or not (
        config.idp_issuer and config.idp_audience
    ):
        return [
            Error(
                "NETRUN_AUTH_IDP_JWKS_URL needs an http(s) URL, NETRUN_AUTH_IDP_ISSUER and "
                "NETRUN_AUTH_IDP_AUDIENCE: IdP tokens are checked against all three.",
                id="netrun.auth.E006",
            )
        ]
    return []


def _check_denylist(config: AuthConfig) -> list[CheckMessage]:
    choice = "cache" if config.denylist == "auto" else config.denylist
    if choice == "redis" and not config.denylist_redis_url:
        return [
            Error(
                "NETRUN_AUTH_DENYLIST is 'redis' but NETRUN_AUTH_DENYLIST_REDIS_URL is not set.",
                id="netrun.auth.E007",
            )
        ]
    caches = getattr(settings, "CACHES", {}) or {}
    if choice == "cache" and config.denylist_cache_alias not in caches:
        return [
            Error(
                f"NETRUN_AUTH_DENYLIST_CACHE_ALIAS {config.denylist_cache_alias!r} is not in "
                "CACHES.",
                id="netrun.auth.E007",
            )
        ]
    backend = str(caches.get(config.denylist_cache_alias, {}).get("BACKEND", ""))
    per_process = choice == "memory" or (choice == "cache" and backend.endswith("LocMemCache"))
    if per_process and config.is_production and _jwt_configured(config):
        return [
            Warning(
                "The netrun.auth denylist is per process: a revoked token stays valid on the "
                "other workers.",
                hint="Use a Redis cache (django.core.cache.backends.redis.RedisCache) or "
                "NETRUN_AUTH_DENYLIST='redis'.",
                id="netrun.auth.W001",
            )
        ]
    return []


def _denylist_redis_url(config: AuthConfig) -> str | None:
    """The Redis URL the denylist uses, or ``None`` when it is not on Redis."""
    choice = "cache" if config.denylist == "auto" else config.denylist
    if choice == "redis":
        return config.denylist_redis_url
    if choice != "cache":
        return None
    cache = (getattr(settings, "CACHES", {}) or {}).get(config.denylist_cache_alias, {})
    if not str(cache.get("BACKEND", "")).endswith(("RedisCache", "redis.cache.RedisCache")):
        return None
    location = cache.get("LOCATION")
    if isinstance(location, (list, tuple)):
        location = location[0] if location else None
    if isinstance(location, str) and "," in location:
        location = location.split(",", 1)[0]
    return location if isinstance(location, str) else None


def check_denylist_persistence(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Deploy check: the denylist's Redis must persist (AOF or RDB) to survive a restart."""
    config = _config()
    url = _denylist_redis_url(config) if config is not None else None
    if url is None:
        return []
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        # redis-py types its commands as sync-or-async; this client is the sync one.
        persistence: dict[str, Any] = {
            **cast("dict[str, Any]", client.config_get("appendonly")),
            **cast("dict[str, Any]", client.config_get("save")),
        }
        appendonly = persistence.get("appendonly")
        save = persistence.get("save")
    except (redis.exceptions.RedisError, OSError) as error:
        return [
            Warning(
                "Could not ask the netrun.auth denylist's Redis whether it persists its data "
                f"({type(error).__name__}).",
                hint="Make sure it runs with appendonly yes (or an RDB save schedule); "
                "see the fault behaviour page of the docs.",
                id="netrun.auth.W003",
            )
        ]
    finally:
        client.close()
    if appendonly == "yes" or (save or "").strip():
        return []
    return [
        Warning(
            "The netrun.auth denylist's Redis has no persistence (appendonly no, no save "
            "schedule): a restart forgets every revoked token and spent refresh token.",
            hint="Run it with appendonly yes (appendfsync everysec loses at most one second).",
            id="netrun.auth.W002",
        )
    ]
