"""The CORS presets: what each one allows when a setting is left unset.

=============== ============================== =========== ==========================
Preset          Origins it adds                Credentials Methods / headers
=============== ============================== =========== ==========================
``development`` loopback, any port, http(s)    on          the defaults below
``staging``     none: list them                off         the defaults below
``production``  none: list them (https only)   off         the defaults below
``oauth``       none: list them                off         GET, POST, OPTIONS;
                                                           accept, authorization,
                                                           content-type
``custom``      none: everything from settings off         the defaults below
=============== ============================== =========== ==========================

Every explicit setting wins over the preset's default. With no preset chosen, the
environment picks one: staging -> ``staging``, production -> ``production``, otherwise
``development``. Strictness does not depend on
the preset alone: ``APP_ENVIRONMENT=production`` makes any preset refuse ``http://`` origins.

Framework-neutral: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "DEFAULT_ALLOW_HEADERS",
    "DEFAULT_ALLOW_METHODS",
    "DEFAULT_EXPOSE_HEADERS",
    "LOOPBACK_ORIGIN_REGEX",
    "PRESETS",
    "PRESET_NAMES",
    "PresetDefaults",
    "PresetName",
]

PresetName = Literal["development", "staging", "production", "oauth", "custom"]
PRESET_NAMES: Final = ("development", "staging", "production", "oauth", "custom")

# django-cors-headers' defaults, plus the correlation headers netrun.logging reads, so a
# browser client can send and read the ID that ties its request to the server's logs.
DEFAULT_ALLOW_METHODS: Final = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
DEFAULT_ALLOW_HEADERS: Final = (
    "accept",
    "authorization",
    "content-type",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
    "x-correlation-id",
    "x-request-id",
)
DEFAULT_EXPOSE_HEADERS: Final = ("x-correlation-id",)

#: Local front-end dev servers (Vite, webpack, ``manage.py runserver``) on any port.
LOOPBACK_ORIGIN_REGEX: Final = r"https?://(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?"


@dataclass(frozen=True)
class PresetDefaults:
    """What a preset supplies for the settings left unset."""

    origin_regexes: tuple[str, ...] = ()
    allow_credentials: bool = False
    allow_methods: tuple[str, ...] = DEFAULT_ALLOW_METHODS
    allow_headers: tuple[str, ...] = DEFAULT_ALLOW_HEADERS
    expose_headers: tuple[str, ...] = DEFAULT_EXPOSE_HEADERS


PRESETS: Final[dict[str, PresetDefaults]] = {
    # A local SPA usually logs in with the session cookie, hence credentials.
    "development": PresetDefaults(origin_regexes=(LOOPBACK_ORIGIN_REGEX,), allow_credentials=True),
    "staging": PresetDefaults(),
    "production": PresetDefaults(),
    # Token and userinfo endpoints are called with bearer tokens, never cookies.
    "oauth": PresetDefaults(
        allow_methods=("GET", "POST", "OPTIONS"),
        allow_headers=("accept", "authorization", "content-type"),
        expose_headers=("www-authenticate", "x-correlation-id"),
    ),
    "custom": PresetDefaults(),
}
