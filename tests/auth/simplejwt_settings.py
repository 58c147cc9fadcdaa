"""Settings for the simplejwt scenarios: the blacklist app installed, SIMPLE_JWT from netrun.

simplejwt reads ``SIMPLE_JWT`` and ``INSTALLED_APPS`` when it is first imported, so these
scenarios run in a process of their own (``test_simplejwt.py`` starts it).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from netrun.auth import AuthConfig, simple_jwt_settings
from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
NETRUN_AUTH_JWT_PRIVATE_KEY = _private.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
NETRUN_AUTH_JWT_ISSUER = "https://auth.netrun.test"
NETRUN_AUTH_JWT_AUDIENCE = "netrun-api"

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework_simplejwt.token_blacklist"]
ROOT_URLCONF = "tests.auth.simplejwt_urls"
SIMPLE_JWT = simple_jwt_settings(
    AuthConfig(
        jwt_private_key=NETRUN_AUTH_JWT_PRIVATE_KEY,
        jwt_issuer=NETRUN_AUTH_JWT_ISSUER,
        jwt_audience=NETRUN_AUTH_JWT_AUDIENCE,
        _env_file=None,
    ),
    ROTATE_REFRESH_TOKENS=True,
    BLACKLIST_AFTER_ROTATION=True,
)
