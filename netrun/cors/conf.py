"""Settings of ``netrun.cors``: :class:`CORSConfig`, the seeds' configuration contract.

Each field is read from (highest first) an explicit argument, the flat Django setting
``NETRUN_CORS_<NAME>``, the environment variable ``CORS_<NAME>``, ``.env``, the default. The
``conf`` object below reads the current values at each attribute access: Django's
``setting_changed`` (``override_settings``) and ``reload_settings()`` are always seen.

Settings (Django name; the environment variable drops ``NETRUN_``), with defaults:

* ``NETRUN_CORS_PRESET``: development, staging, production, oauth or custom. Unset: the
  environment picks it (staging -> staging, production -> production, else development).
* ``NETRUN_CORS_MAX_AGE``: preflight cache seconds, 0-86400; ``3600``.
* ``NETRUN_CORS_ALLOWED_ORIGINS``: exact origins, ``scheme://host[:port]``; ``[]``.
* ``NETRUN_CORS_ALLOWED_ORIGIN_REGEXES``: matched against the whole origin; ``[]``.
* ``NETRUN_CORS_ALLOW_ALL_ORIGINS``: wildcard, never with credentials; ``False``.
* ``NETRUN_CORS_ALLOW_CREDENTIALS``, ``_ALLOW_METHODS``, ``_ALLOW_HEADERS``,
  ``_EXPOSE_HEADERS``: unset (``None``) means the preset's value.
* ``NETRUN_CORS_URLS_REGEX``: paths that get CORS headers (``re.match``); ``^.*$``.
* ``NETRUN_CORS_LOG_INTERVAL`` / ``_LOG_BURST``: decision-log sampling, ``60`` s / ``10``.

In the environment, lists are comma-separated or JSON. Framework-neutral: no Django import.
"""

from __future__ import annotations

from typing import Any

from netrun.config import BaseConfig, Field, NetrunConfigDict, app_settings, field_validator
from netrun.cors.presets import PresetName

__all__ = ["CORSConfig", "conf"]


class CORSConfig(BaseConfig):
    """CORS configuration: a preset plus the settings that refine it."""

    model_config = NetrunConfigDict(env_prefix="CORS_", django_prefix="NETRUN_CORS_")

    cors_preset: PresetName = Field(
        "development",
        env="CORS_PRESET",
        description="CORS preset: development, staging, production, oauth or custom.",
    )
    cors_max_age: int = Field(
        3600, env="CORS_MAX_AGE", ge=0, le=86400, description="Preflight cache lifetime (s)."
    )
    cors_allowed_origins: list[str] = Field(
        default_factory=list,
        env="CORS_ALLOWED_ORIGINS",
        description="Allowed origins, exactly: scheme://host[:port].",
    )
    cors_allowed_origin_regexes: list[str] = Field(
        default_factory=list,
        env="CORS_ALLOWED_ORIGIN_REGEXES",
        description="Allowed origin regexes, always matched against the whole origin.",
    )
    cors_allow_all_origins: bool = Field(
        False, env="CORS_ALLOW_ALL_ORIGINS", description="Allow every origin (no credentials)."
    )
    cors_allow_credentials: bool | None = Field(
        None, env="CORS_ALLOW_CREDENTIALS", description="Allow credentials; unset: the preset."
    )
    cors_allow_methods: list[str] | None = Field(
        None, env="CORS_ALLOW_METHODS", description="Allowed methods; unset: the preset."
    )
    cors_allow_headers: list[str] | None = Field(
        None, env="CORS_ALLOW_HEADERS", description="Allowed request headers; unset: the preset."
    )
    cors_expose_headers: list[str] | None = Field(
        None, env="CORS_EXPOSE_HEADERS", description="Exposed response headers; unset: the preset."
    )
    cors_urls_regex: str = Field(
        r"^.*$", env="CORS_URLS_REGEX", description="Paths that get CORS headers (re.match)."
    )
    cors_log_interval: float = Field(
        60.0, env="CORS_LOG_INTERVAL", ge=0, description="Log sampling window in seconds."
    )
    cors_log_burst: int = Field(
        10, env="CORS_LOG_BURST", ge=1, description="Logged decisions per reason per window."
    )

    @field_validator("cors_preset", mode="before")
    @classmethod
    def _lower_preset(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


conf = app_settings(CORSConfig)
