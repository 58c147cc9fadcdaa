"""djangorestframework-simplejwt with netrun keys: its views, tokens and blacklist app keep working.

Two ways in, both keep netrun's ``AuthConfig`` the single source of keys and lifetimes:

1. **Settings.** :func:`simple_jwt_settings` returns a ``SIMPLE_JWT`` dict for ``settings.py``
   whose serializers and token classes are the ones below, so simplejwt's stock views
   (``TokenObtainPairView``, ``TokenRefreshView``, ``TokenVerifyView``,
   ``TokenBlacklistView``) issue and check tokens with netrun's key ring::

       from netrun.auth import AuthConfig, simple_jwt_settings

       SIMPLE_JWT = simple_jwt_settings(AuthConfig(_env_file=BASE_DIR / ".env"))

   simplejwt reads ``SIMPLE_JWT`` when it is first imported, so the dict must be in
   ``settings.py`` (the helper lives in a Django-free module, importable there); the views
   of this module work without it.

2. **Views.** :class:`TokenObtainPairView`, :class:`TokenRefreshView`,
   :class:`TokenVerifyView` and :class:`TokenBlacklistView` are simplejwt's views with
   netrun's serializers set directly.

:class:`NetrunTokenBackend` is the adapter: simplejwt's ``TokenBackend`` interface
(``encode`` / ``decode``) on a :class:`~netrun.auth.JWTManager`. It signs with the active key
and a ``kid`` header, verifies with every key of the ring that has not retired (rotation),
never takes the algorithm from the token, and also consults netrun's denylist, so
``manager.revoke(jti)`` stops simplejwt tokens too. simplejwt's blacklist app (outstanding and
blacklisted refresh tokens in the database) works unchanged on top: its checks run in the
token classes, after decoding.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
from django.apps import apps
from rest_framework.exceptions import ValidationError
from rest_framework_simplejwt import serializers as sj_serializers
from rest_framework_simplejwt import settings as sj_settings
from rest_framework_simplejwt import tokens as sj_tokens
from rest_framework_simplejwt import views as sj_views
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken

from netrun.auth._simplejwt_settings import simple_jwt_settings
from netrun.auth.conf import AuthConfig
from netrun.auth.exceptions import TokenExpiredError, TokenInvalidError
from netrun.auth.tokens import JWTManager, get_jwt_manager
from netrun.config import get_settings

__all__ = [
    "AccessToken",
    "NetrunTokenBackend",
    "RefreshToken",
    "TokenBlacklistSerializer",
    "TokenBlacklistView",
    "TokenObtainPairSerializer",
    "TokenObtainPairView",
    "TokenRefreshSerializer",
    "TokenRefreshView",
    "TokenVerifySerializer",
    "TokenVerifyView",
    "UntypedToken",
    "simple_jwt_settings",
]


class NetrunTokenBackend(TokenBackend):
    """simplejwt's ``TokenBackend`` interface, implemented by a netrun ``JWTManager``."""

    def __init__(self, manager: JWTManager | None = None) -> None:
        # TokenBackend.__init__ is not called: its key handling is replaced, not extended.
        self._manager = manager

    @property
    def manager(self) -> JWTManager:
        return self._manager if self._manager is not None else get_jwt_manager()

    @property
    def algorithm(self) -> str:  # type: ignore[override]
        return self.manager.key_ring.active.algorithm

    @property
    def leeway(self) -> int:  # type: ignore[override]
        return self.manager.config.leeway

    def encode(self, payload: dict[str, Any]) -> str:
        manager = self.manager
        claims = dict(payload)
        # netrun requires "sub"; simplejwt puts the user under USER_ID_CLAIM ("user_id" unless
        # simple_jwt_settings() made it "sub"), so both tools can read the token.
        user_claim = sj_settings.api_settings.USER_ID_CLAIM
        if "sub" not in claims and claims.get(user_claim) is not None:
            claims["sub"] = str(claims[user_claim])
        if manager.config.jwt_issuer:
            claims["iss"] = manager.config.jwt_issuer
        if manager.config.jwt_audience:
            claims["aud"] = manager.config.jwt_audience
        # simplejwt puts datetimes in some claims; PyJWT converts exp/iat/nbf only.
        for name, value in list(claims.items()):
            if hasattr(value, "timestamp"):
                claims[name] = int(value.timestamp())
        return manager._encode(claims)

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        # simplejwt's JWTAuthentication hands over the header's bytes.
        text = token.decode("latin-1") if isinstance(token, bytes) else str(token)
        if not verify:
            # simplejwt only does this for tokens it verified before (blacklisting on logout).
            try:
                return dict(jwt.decode(text, options={"verify_signature": False}))
            except jwt.InvalidTokenError as error:
                raise TokenBackendError("Token is invalid") from error
        try:
            return self.manager.decode(text, token_type=None)
        except TokenExpiredError as error:
            raise TokenBackendExpiredToken("Token is expired") from error
        except TokenInvalidError as error:
            raise TokenBackendError("Token is invalid") from error


_backend = NetrunTokenBackend()


class _NetrunTokenMixin:
    """Token classes that use netrun's backend, with lifetimes read from ``AuthConfig``."""

    @property
    def token_backend(self) -> TokenBackend:
        return _backend

    def get_token_backend(self) -> TokenBackend:
        return _backend


class AccessToken(_NetrunTokenMixin, sj_tokens.AccessToken):
    @property
    def lifetime(self) -> timedelta:  # type: ignore[override]
        return timedelta(seconds=get_settings(AuthConfig).access_token_lifetime)


class RefreshToken(_NetrunTokenMixin, sj_tokens.RefreshToken):  # type: ignore[misc]
    access_token_class = AccessToken

    @property
    def lifetime(self) -> timedelta:  # type: ignore[override]
        return timedelta(seconds=get_settings(AuthConfig).refresh_token_lifetime)


class UntypedToken(_NetrunTokenMixin, sj_tokens.UntypedToken):
    pass


class TokenObtainPairSerializer(sj_serializers.TokenObtainPairSerializer):
    token_class = RefreshToken


class TokenRefreshSerializer(sj_serializers.TokenRefreshSerializer):
    token_class = RefreshToken


class TokenBlacklistSerializer(sj_serializers.TokenBlacklistSerializer):
    token_class = RefreshToken


class TokenVerifySerializer(sj_serializers.TokenVerifySerializer):
    def validate(self, attrs: dict[str, Any]) -> dict[Any, Any]:
        # simplejwt's serializer hard-codes its own UntypedToken (one key, no kid): verify
        # with netrun's, then do the same blacklist lookup it does.
        token = UntypedToken(attrs["token"])
        if apps.is_installed("rest_framework_simplejwt.token_blacklist"):
            from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

            if BlacklistedToken._default_manager.filter(token__jti=token.get("jti")).exists():
                raise ValidationError("Token is blacklisted")
        return {}


class TokenObtainPairView(sj_views.TokenObtainPairView):
    serializer_class = TokenObtainPairSerializer


class TokenRefreshView(sj_views.TokenRefreshView):
    serializer_class = TokenRefreshSerializer


class TokenVerifyView(sj_views.TokenVerifyView):
    serializer_class = TokenVerifySerializer


class TokenBlacklistView(sj_views.TokenBlacklistView):
    serializer_class = TokenBlacklistSerializer
