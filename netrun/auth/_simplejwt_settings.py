"""``simple_jwt_settings()``: a ``SIMPLE_JWT`` dict from an ``AuthConfig``, for ``settings.py``.

Kept apart from :mod:`netrun.auth.simplejwt` because ``settings.py`` runs before Django is
set up, and simplejwt's modules cannot be imported then. Imports no Django.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization

from netrun.auth.conf import AuthConfig
from netrun.auth.keys import key_ring_from_config

__all__ = ["simple_jwt_settings"]

_MODULE = "netrun.auth.simplejwt"


def simple_jwt_settings(config: AuthConfig | None = None, **overrides: Any) -> dict[str, Any]:
    """A ``SIMPLE_JWT`` dict built from ``config`` (default: ``AuthConfig()`` from the environment).

    The signing and verifying keys are the *active* key's, for code that reads them from
    simplejwt's settings; the netrun token classes named here verify with the whole ring.
    ``overrides`` are merged last (``ROTATE_REFRESH_TOKENS=True``, ...).
    """
    config = config if config is not None else AuthConfig()
    active = key_ring_from_config(config).active
    if active.symmetric:
        signing: Any = active.signing_key.decode() if active.signing_key else None
        verifying = ""
    else:
        signing = config.jwt_private_key.get_secret_value() if config.jwt_private_key else None
        if signing is None and config.jwt_private_key_path:
            signing = config.jwt_private_key_path.read_text()
        # simplejwt wants PEM text; derive it from the loaded key so it always matches.
        verifying = active.verifying_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
    values: dict[str, Any] = {
        "ALGORITHM": active.algorithm,
        "SIGNING_KEY": signing,
        "VERIFYING_KEY": verifying,
        "ISSUER": config.jwt_issuer,
        "AUDIENCE": config.jwt_audience,
        "LEEWAY": config.leeway,
        "ACCESS_TOKEN_LIFETIME": timedelta(seconds=config.access_token_lifetime),
        "REFRESH_TOKEN_LIFETIME": timedelta(seconds=config.refresh_token_lifetime),
        # netrun tokens carry the user in "sub" (RFC 7519) and the type in "token_type".
        "USER_ID_CLAIM": "sub",
        "TOKEN_TYPE_CLAIM": "token_type",
        "JTI_CLAIM": "jti",
        "AUTH_TOKEN_CLASSES": (f"{_MODULE}.AccessToken",),
        "TOKEN_OBTAIN_SERIALIZER": f"{_MODULE}.TokenObtainPairSerializer",
        "TOKEN_REFRESH_SERIALIZER": f"{_MODULE}.TokenRefreshSerializer",
        "TOKEN_VERIFY_SERIALIZER": f"{_MODULE}.TokenVerifySerializer",
        "TOKEN_BLACKLIST_SERIALIZER": f"{_MODULE}.TokenBlacklistSerializer",
    }
    values.update(overrides)
    return values
