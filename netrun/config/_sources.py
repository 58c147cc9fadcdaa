"""The settings sources, in their fixed order, and a record of where each value came from.

``BaseConfig.settings_customise_sources`` returns, highest precedence first: explicit
arguments, flat Django settings, environment variables, the ``.env`` file, the secrets
directory (``<VARIABLE>_FILE`` and mounted files), Azure Key Vault. Pydantic fills in the
defaults for whatever no source provided.

Each source writes the fields it provides into the :class:`BuildRecord` of the settings
object being built (a context variable, since pydantic-settings builds sources per
instantiation), first writer wins, so ``dump()`` and validation errors can say which source
supplied a value.

Framework-neutral: Django settings are read through :mod:`netrun.core.conf`, which answers
"not configured" without importing Django when nothing else has.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dotenv import dotenv_values
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

from netrun.config import _fields
from netrun.config._fields import FieldNames
from netrun.config.keyvault import (
    KeyVaultSecretStr,
    SecretClientLike,
    key_vault_client,
    secret_names,
)
from netrun.core.conf import django_settings_configured, get_setting

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

__all__ = ["BuildRecord", "Origin", "Source"]

_MISSING = object()


class Source(str, enum.Enum):
    """The sources, highest precedence first."""

    EXPLICIT = "explicit"
    DJANGO = "django"
    ENVIRONMENT = "environment"
    DOTENV = "dotenv"
    SECRETS = "secrets"
    KEY_VAULT = "key_vault"
    DEFAULT = "default"


_DESCRIPTIONS = {
    Source.EXPLICIT: "argument",
    Source.DJANGO: "Django setting",
    Source.ENVIRONMENT: "environment variable",
    Source.DOTENV: "dotenv file",
    Source.SECRETS: "secret file",
    Source.KEY_VAULT: "Key Vault secret",
    Source.DEFAULT: "default",
}


@dataclass(frozen=True)
class Origin:
    """Where one value came from: the source and the name or path inside it."""

    source: Source
    location: str | None = None

    def __str__(self) -> str:
        text = _DESCRIPTIONS[self.source]
        return f"{text} {self.location}" if self.location else text


@dataclass
class BuildRecord:
    """What the sources found while one settings object was being built."""

    key_vault: SecretClientLike | None = None
    origins: dict[str, Origin] = field(default_factory=dict)
    # Problems no pydantic validator can see, such as a *_FILE variable naming a missing file.
    problems: list[tuple[str, str]] = field(default_factory=list)


current_record: ContextVar[BuildRecord | None] = ContextVar("netrun_config_record", default=None)


def _from_text(info: FieldInfo, text: str) -> Any:
    """Turn a text value (environment, ``.env``, file) into what pydantic should validate."""
    if text == "" and _fields.allows_none(info):
        return None
    if not _fields.is_complex(info):
        return text  # pydantic's lax mode turns "42" into 42 and "yes" into True
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except ValueError:
            return text  # pydantic then reports the type error, naming the variable
    if _fields.is_sequence(info):
        return [item.strip() for item in stripped.split(",") if item.strip()]
    return text


class NetrunSource(PydanticBaseSettingsSource):
    """A source that returns ``{field_name: value}`` and records where each value came from."""

    source: Source

    def __init__(self, settings_cls: type[BaseSettings], names: Mapping[str, FieldNames]) -> None:
        super().__init__(settings_cls)
        self.names = names

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Required by the abstract base; collect() reads whole sources at once instead.
        return None, field_name, False

    def collect(self) -> dict[str, tuple[Any, str | None]]:
        raise NotImplementedError

    def __call__(self) -> dict[str, Any]:
        record = current_record.get()
        data: dict[str, Any] = {}
        for name, (value, location) in self.collect().items():
            data[name] = value
            if record is not None:
                record.origins.setdefault(name, Origin(self.source, location))
        return data


class ExplicitSource(NetrunSource):
    """Keyword arguments given to the constructor."""

    source = Source.EXPLICIT

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        names: Mapping[str, FieldNames],
        init_settings: PydanticBaseSettingsSource,
    ) -> None:
        super().__init__(settings_cls, names)
        self.init_settings = init_settings

    def collect(self) -> dict[str, tuple[Any, str | None]]:
        return {key: (value, key) for key, value in self.init_settings().items()}


class DjangoSettingsSource(NetrunSource):
    """Flat Django settings (``NETRUN_CORS_MAX_AGE``), read at build time, never cached here."""

    source = Source.DJANGO

    def collect(self) -> dict[str, tuple[Any, str | None]]:
        if not django_settings_configured():
            return {}
        found: dict[str, tuple[Any, str | None]] = {}
        for name, names in self.names.items():
            if names.django_setting is None:
                continue
            value = get_setting(names.django_setting, _MISSING)
            if value is not _MISSING:
                found[name] = (value, names.django_setting)
        return found


def _environ_upper() -> dict[str, str]:
    # Matching ignores case, like pydantic-settings does by default.
    return {key.upper(): value for key, value in os.environ.items()}


class EnvironmentSource(NetrunSource):
    source = Source.ENVIRONMENT

    def collect(self) -> dict[str, tuple[Any, str | None]]:
        environ = _environ_upper()
        found: dict[str, tuple[Any, str | None]] = {}
        for name, names in self.names.items():
            if names.env in environ:
                info = self.settings_cls.model_fields[name]
                found[name] = (_from_text(info, environ[names.env]), names.env)
        return found


def _paths(value: object) -> list[Path]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [Path(value)]
    if isinstance(value, Iterable):
        return [Path(item) for item in value]
    return []


def read_dotenv(paths: Iterable[Path]) -> dict[str, tuple[str, str]]:
    """``{VARIABLE: (value, path)}`` from the files that exist; later files win.

    No ``$VAR`` interpolation, so a secret containing ``$`` is read as written; the
    ``utf-8-sig`` codec drops a byte-order mark an editor may have saved.
    """
    values: dict[str, tuple[str, str]] = {}
    for path in paths:
        if not path.is_file():
            continue
        for key, value in dotenv_values(path, interpolate=False, encoding="utf-8-sig").items():
            if value is not None:
                values[key.upper()] = (value, str(path))
    return values


class DotenvSource(NetrunSource):
    source = Source.DOTENV

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        names: Mapping[str, FieldNames],
        env_files: list[Path],
    ) -> None:
        super().__init__(settings_cls, names)
        self.env_files = env_files

    def collect(self) -> dict[str, tuple[Any, str | None]]:
        values = read_dotenv(self.env_files)
        found: dict[str, tuple[Any, str | None]] = {}
        for name, names in self.names.items():
            if names.env in values:
                value, path = values[names.env]
                info = self.settings_cls.model_fields[name]
                found[name] = (_from_text(info, value), f"{names.env} in {path}")
        return found


def _read_secret_file(path: Path) -> str:
    # Files written by `echo` or editors end in a newline that is not part of the secret.
    return path.read_text(encoding="utf-8-sig").rstrip("\r\n")


class SecretsSource(NetrunSource):
    """``<VARIABLE>_FILE`` (Docker and Kubernetes convention), then files in secrets dirs."""

    source = Source.SECRETS

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        names: Mapping[str, FieldNames],
        env_files: list[Path],
        secrets_dirs: list[Path],
    ) -> None:
        super().__init__(settings_cls, names)
        self.env_files = env_files
        self.secrets_dirs = secrets_dirs

    def collect(self) -> dict[str, tuple[Any, str | None]]:
        environ = _environ_upper()
        dotenv = read_dotenv(self.env_files)
        record = current_record.get()
        found: dict[str, tuple[Any, str | None]] = {}
        for name, names in self.names.items():
            info = self.settings_cls.model_fields[name]
            pointer = f"{names.env}_FILE"
            target = environ.get(pointer) or dotenv.get(pointer, ("", ""))[0]
            if target:
                path = Path(target)
                if path.is_file():
                    found[name] = (_from_text(info, _read_secret_file(path)), str(path))
                elif record is not None:
                    record.problems.append(
                        (name, f"{pointer} names {target!r}, which is not a readable file")
                    )
                continue
            for directory in self.secrets_dirs:
                candidates = (directory / names.env, directory / names.env.lower())
                path_found = next((path for path in candidates if path.is_file()), None)
                if path_found is not None:
                    found[name] = (_from_text(info, _read_secret_file(path_found)), str(path_found))
                    break
        return found


def _is_secret_str(info: FieldInfo) -> bool:
    annotation = _fields._unwrap_optional(info.annotation)
    return isinstance(annotation, type) and issubclass(annotation, SecretStr)


class KeyVaultSource(NetrunSource):
    """Azure Key Vault: names listed now, values fetched when first read."""

    source = Source.KEY_VAULT

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        names: Mapping[str, FieldNames],
        client: SecretClientLike | None,
    ) -> None:
        super().__init__(settings_cls, names)
        self.client = client

    def collect(self) -> dict[str, tuple[Any, str | None]]:
        wanted = {
            name: names
            for name, names in self.names.items()
            if name not in self.current_state
            and _is_secret_str(self.settings_cls.model_fields[name])
        }
        client = self.client if self.client is not None else key_vault_client()
        if not wanted or client is None:
            return {}
        available = secret_names(client)
        return {
            name: (KeyVaultSecretStr(client, names.key_vault), names.key_vault)
            for name, names in wanted.items()
            if names.key_vault.lower() in available
        }


def build_sources(
    settings_cls: type[BaseSettings],
    names: Mapping[str, FieldNames],
    init_settings: PydanticBaseSettingsSource,
    dotenv_settings: PydanticBaseSettingsSource,
    file_secret_settings: PydanticBaseSettingsSource,
) -> tuple[PydanticBaseSettingsSource, ...]:
    # The built-in sources carry the per-call options (_env_file=..., _secrets_dir=...)
    # already merged with model_config, so they are read from there rather than recomputed.
    env_files = _paths(getattr(dotenv_settings, "env_file", None))
    secrets_dirs = _paths(getattr(file_secret_settings, "secrets_dir", None))
    record = current_record.get()
    return (
        ExplicitSource(settings_cls, names, init_settings),
        DjangoSettingsSource(settings_cls, names),
        EnvironmentSource(settings_cls, names),
        DotenvSource(settings_cls, names, env_files),
        SecretsSource(settings_cls, names, env_files, secrets_dirs),
        KeyVaultSource(settings_cls, names, record.key_vault if record is not None else None),
    )
