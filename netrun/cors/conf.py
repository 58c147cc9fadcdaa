"""Settings of ``netrun.cors``: :class:`CORSConfig`, the seeds' configuration contract.

Each field is read from (highest first) an explicit argument, the flat Django setting
``NETRUN_CORS_<NAME>``, the environment variable ``CORS_<NAME>``, ``.env``, the default. The
``conf`` object below reads the current values at each attribute access: Django's
``setting_changed`` (``override_settings``) and ``reload_settings()`` are always seen.

Each field is the setting's name without ``NETRUN_CORS_``, lower-cased (``conf.max_age``
reads ``NETRUN_CORS_MAX_AGE``). The seeds' names (``cors_preset``, ``cors_max_age``...) are
still accepted as arguments and read as attributes (``renamed_fields``).

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

from typing import Any, ClassVar

from netrun.config import BaseConfig, Field, NetrunConfigDict, app_settings, field_validator
from netrun.cors.presets import PresetName

__all__ = ["CORSConfig", "conf"]


class CORSConfig(BaseConfig):
    """CORS configuration: a preset plus the settings that refine it."""

    model_config = NetrunConfigDict(env_prefix="CORS_", django_prefix="NETRUN_CORS_")

    #: The seeds' names (``cors_preset``, ``cors_max_age``...) still build and read.
    renamed_fields: ClassVar[dict[str, str]] = {
        "cors_preset": "preset",
        "cors_max_age": "max_age",
        "cors_allowed_origins": "allowed_origins",
        "cors_allowed_origin_regexes": "allowed_origin_regexes",
        "cors_allow_all_origins": "allow_all_origins",
        "cors_allow_credentials": "allow_credentials",
        "cors_allow_methods": "allow_methods",
        "cors_allow_headers": "allow_headers",
        "cors_expose_headers": "expose_headers",
        "cors_urls_regex": "urls_regex",
        "cors_log_interval": "log_interval",
        "cors_log_burst": "log_burst",
    }

    preset: PresetName = Field(
        "development",
        description="CORS preset: development, staging, production, oauth or custom.",
    )
    max_age: int = Field(3600, ge=0, le=86400, description="Preflight cache lifetime (s).")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Allowed origins, exactly: scheme://host[:port].",
    )
    allowed_origin_regexes: list[str] = Field(
        default_factory=list,
        description="Allowed origin regexes, always matched against the whole origin.",
    )
    allow_all_origins: bool = Field(False, description="Allow every origin (no credentials).")
    allow_credentials: bool | None = Field(
        None, description="Allow credentials; unset: the preset."
    )
    allow_methods: list[str] | None = Field(None, description="Allowed methods; unset: the preset.")
    allow_headers: list[str] | None = Field(
        None, description="Allowed request headers; unset: the preset."
    )
    expose_headers: list[str] | None = Field(
        None, description="Exposed response headers; unset: the preset."
    )
    urls_regex: str = Field(r"^.*$", description="Paths that get CORS headers (re.match).")
    log_interval: float = Field(60.0, ge=0, description="Log sampling window in seconds.")
    log_burst: int = Field(10, ge=1, description="Logged decisions per reason per window.")

    @field_validator("preset", mode="before")
    @classmethod
    def _lower_preset(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


conf = app_settings(CORSConfig)
