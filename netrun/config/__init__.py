"""Netrun config: typed, validated settings for every Netrun package.

Level 2. The seeds' configuration contract::

    from netrun.config import BaseConfig, Field, field_validator, get_settings

    class CORSConfig(BaseConfig):
        model_config = NetrunConfigDict(env_prefix="CORS_", django_prefix="NETRUN_CORS_")

        preset: str = Field("development")                # CORS_PRESET, NETRUN_CORS_PRESET
        max_age: int = Field(3600, ge=0, le=86400)        # CORS_MAX_AGE, NETRUN_CORS_MAX_AGE

    settings = get_settings(CORSConfig)
    if settings.is_production: ...

Sources, highest precedence first: explicit arguments, flat Django settings
(``NETRUN_<PKG>_<NAME>``), environment variables, ``.env``, secret files, Azure Key Vault,
defaults. Fields carry no app prefix (``max_age``, not ``cors_max_age``). A package's
``conf.py`` ends with ``conf = app_settings(CORSConfig)``; the one ``setting_changed``
receiver (:mod:`netrun.config.receivers`) keeps it current.

This module imports without Django installed or configured. The Django glue is referenced
by dotted path: ``netrun.config.django`` (settings.py helpers on django-environ) and
``netrun.config.checks`` (system checks ``netrun.config.E001``...).
"""

from __future__ import annotations

from pydantic import SecretStr, field_validator, model_validator

from netrun.config._fields import Field
from netrun.config._sources import Origin, Source
from netrun.config.base import BaseConfig, NetrunConfigDict, SettingInfo
from netrun.config.keyvault import KeyVaultSecretStr, configure_key_vault
from netrun.config.registry import (
    SettingsChange,
    app_settings,
    clear_settings_cache,
    get_settings,
    on_reload,
    register_config,
    registered_configs,
    reload_settings,
    remove_reload_hook,
)

__all__ = [
    "BaseConfig",
    "Field",
    "KeyVaultSecretStr",
    "NetrunConfigDict",
    "Origin",
    "SecretStr",
    "SettingInfo",
    "SettingsChange",
    "Source",
    "app_settings",
    "clear_settings_cache",
    "configure_key_vault",
    "field_validator",
    "get_settings",
    "model_validator",
    "on_reload",
    "register_config",
    "registered_configs",
    "reload_settings",
    "remove_reload_hook",
]
