"""``BaseConfig``: the typed, validated settings every Netrun package extends.

::

    class CORSConfig(BaseConfig):
        model_config = NetrunConfigDict(env_prefix="CORS_", django_prefix="NETRUN_CORS_")

        preset: str = Field("development", description="CORS preset")
        max_age: int = Field(3600, ge=0, le=86400)

    settings = get_settings(CORSConfig)   # CORS_MAX_AGE, NETRUN_CORS_MAX_AGE, ...

A bad value raises :class:`netrun.errors.ValidationError` naming *every* bad field with its
environment variable and the source that supplied it; input values never appear in the
message (they may be secrets).

Framework-neutral: no Django import.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pydantic
from pydantic import PrivateAttr, SecretBytes, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from netrun.config import _fields
from netrun.config._fields import Field, FieldNames
from netrun.config._sources import BuildRecord, Origin, Source, build_sources, current_record
from netrun.config.keyvault import SecretClientLike
from netrun.errors import ValidationError
from netrun.logging import DEFAULT_SENSITIVE_KEYS, get_logger, redact_text

__all__ = ["BaseConfig", "NetrunConfigDict", "SettingInfo"]

logger = get_logger(__name__)

REDACTED = "**********"

Environment = Literal["development", "staging", "production", "testing"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class NetrunConfigDict(SettingsConfigDict, total=False):
    """pydantic-settings' ``SettingsConfigDict`` plus Netrun's keys.

    ``django_prefix``: flat Django settings read for this class (``"NETRUN_CORS_"``); ``None``
    (the default) reads no Django settings except fields that name one explicitly.
    """

    django_prefix: str | None


@dataclass(frozen=True)
class SettingInfo:
    """One row of :meth:`BaseConfig.describe`: a field, its value and where it came from."""

    field: str
    value: Any
    origin: Origin
    env: str
    django_setting: str | None
    secret: bool

    @property
    def source(self) -> Source:
        return self.origin.source


class BaseConfig(BaseSettings):
    """Base fields every Netrun settings class shares, and the sources in a fixed order.

    Precedence, highest first: explicit arguments, flat Django settings, environment
    variables, ``.env``, secret files (``<VARIABLE>_FILE`` / ``secrets_dir``), Azure Key Vault
    (``SecretStr`` fields, fetched lazily), defaults.
    """

    model_config = NetrunConfigDict(
        env_file=".env",
        env_file_encoding="utf-8-sig",
        # Other packages' variables share the environment; they are not errors here.
        extra="ignore",
        # Validation errors must never carry a value: it may be a secret.
        hide_input_in_errors=True,
        django_prefix=None,
    )

    app_name: str = Field(
        "netrun",
        env="APP_NAME",
        django_setting="NETRUN_APP_NAME",
        description="Application name, on every log event.",
    )
    app_environment: Environment = Field(
        "development",
        env="APP_ENVIRONMENT",
        django_setting="NETRUN_APP_ENVIRONMENT",
        description="Deployment environment: development, staging, production or testing.",
    )
    app_debug: bool = Field(
        False,
        env="APP_DEBUG",
        django_setting="NETRUN_APP_DEBUG",
        description="Debug behaviour (verbose errors); never on in production.",
    )
    log_level: LogLevel = Field(
        "INFO",
        env="LOG_LEVEL",
        django_setting="NETRUN_LOG_LEVEL",
        description="Minimum log level: DEBUG, INFO, WARNING, ERROR or CRITICAL.",
    )

    #: Older names still accepted as arguments and read as attributes, ``{old: field}``
    #: (the seeds' ``pool_size``, ``cors_preset``...).
    renamed_fields: ClassVar[dict[str, str]] = {}

    _origins: dict[str, Origin] = PrivateAttr(default_factory=dict)

    def __init__(self, _key_vault: SecretClientLike | None = None, **values: Any) -> None:
        """Build from the sources; ``_key_vault`` overrides the configured Key Vault client.

        An argument that is not a field (nor an accepted older name) raises
        :class:`netrun.errors.ValidationError` naming the closest field: a misspelt
        keyword must not be ignored while the default silently applies.
        """
        values = type(self)._checked_arguments(values)
        record = BuildRecord(key_vault=_key_vault)
        token = current_record.set(record)
        try:
            try:
                super().__init__(**values)
            except pydantic.ValidationError as error:
                # "from None": pydantic's own error text is not wanted in tracebacks.
                raise self._validation_error(record, error.errors()) from None
            if record.problems:
                raise self._validation_error(record, [])
        finally:
            current_record.reset(token)
        self._origins = dict(record.origins)
        # DEBUG: settings objects are built by commands whose stdout is a document too.
        logger.debug(
            "config_loaded",
            config=type(self).__name__,
            app_name=self.app_name,
            environment=self.app_environment,
            sources=dict(Counter(origin.source.value for origin in self.value_sources().values())),
        )

    # ------------------------------------------------------------------ arguments

    @classmethod
    def argument_names(cls) -> frozenset[str]:
        """Every keyword the constructor accepts: fields, their aliases, older names."""
        names: set[str] = set(cls.renamed_fields)
        for name, info in cls.model_fields.items():
            names.add(name)
            if info.alias:
                names.add(info.alias)
            alias = info.validation_alias
            if isinstance(alias, str):
                names.add(alias)
            elif isinstance(alias, pydantic.AliasChoices):
                names.update(choice for choice in alias.choices if isinstance(choice, str))
        return frozenset(names)

    @classmethod
    def _checked_arguments(cls, values: dict[str, Any]) -> dict[str, Any]:
        known = cls.argument_names()
        # ``_env_file``, ``_secrets_dir``...: pydantic-settings' own build arguments.
        unknown = sorted(key for key in values if key not in known and not key.startswith("_"))
        if unknown:
            entries: list[dict[str, Any]] = []
            for key in unknown:
                close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                entries.append(
                    {
                        "field": key,
                        "variable": key,
                        "source": "argument",
                        "message": f"unknown argument {key!r}{hint}",
                        "suggestion": close[0] if close else None,
                    }
                )
            summary = "; ".join(str(entry["message"]) for entry in entries)
            raise ValidationError(
                f"{cls.__name__} got {summary}", {"config": cls.__name__, "errors": entries}
            )
        for old in [key for key in values if key in cls.renamed_fields]:
            new = cls.renamed_fields[old]
            if new in values:
                raise ValidationError(
                    f"{cls.__name__} got both {old!r} and {new!r}; pass {new!r} only",
                    {
                        "config": cls.__name__,
                        "errors": [
                            {
                                "field": old,
                                "variable": old,
                                "source": "argument",
                                "message": f"duplicates {new!r}",
                            }
                        ],
                    },
                )
        return {cls.renamed_fields.get(key, key): value for key, value in values.items()}

    if not TYPE_CHECKING:
        # Only for names that are not attributes: the type checker sees the fields alone.
        def __getattr__(self, name: str) -> Any:
            renamed = type(self).renamed_fields.get(name)
            if renamed is not None:
                return getattr(self, renamed)
            return super().__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        cls = type(self)
        name = cls.renamed_fields.get(name, name)
        if not name.startswith("_") and name not in cls.model_fields and not hasattr(cls, name):
            close = difflib.get_close_matches(name, sorted(cls.model_fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise AttributeError(f"{cls.__name__} has no field {name!r}{hint}")
        super().__setattr__(name, value)

    # ------------------------------------------------------------------ sources

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return build_sources(
            settings_cls, cls.variable_names(), init_settings, dotenv_settings, file_secret_settings
        )

    @classmethod
    def variable_names(cls) -> dict[str, FieldNames]:
        """Each field's environment variable, Django setting and Key Vault secret name."""
        env_prefix = cls.model_config.get("env_prefix") or ""
        django_prefix = cls.model_config.get("django_prefix")
        return {
            name: _fields.field_names(
                name, info, env_prefix=env_prefix, django_prefix=django_prefix
            )
            for name, info in cls.model_fields.items()
        }

    @classmethod
    def django_setting_names(cls) -> frozenset[str]:
        return frozenset(
            names.django_setting
            for names in cls.variable_names().values()
            if names.django_setting is not None
        )

    # ------------------------------------------------------------------ validators

    @field_validator("app_environment", mode="before")
    @classmethod
    def _lower_environment(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    # ------------------------------------------------------------------ environment

    @property
    def is_production(self) -> bool:
        return self.app_environment == "production"

    @property
    def is_staging(self) -> bool:
        return self.app_environment == "staging"

    @property
    def is_development(self) -> bool:
        return self.app_environment == "development"

    @property
    def is_testing(self) -> bool:
        return self.app_environment == "testing"

    # ------------------------------------------------------------------ introspection

    def value_sources(self) -> dict[str, Origin]:
        """Where each field's value came from (``Source.DEFAULT`` when no source set it)."""
        return {
            name: self._origins.get(name, Origin(Source.DEFAULT))
            for name in type(self).model_fields
        }

    @classmethod
    def is_secret_field(cls, name: str) -> bool:
        info = cls.model_fields[name]
        if _fields.is_secret(info):
            return True
        lowered = name.lower()
        return any(key in lowered for key in DEFAULT_SENSITIVE_KEYS)

    def describe(self, *, redacted: bool = True) -> list[SettingInfo]:
        """The effective settings, each with its source; secrets masked when ``redacted``."""
        names = type(self).variable_names()
        origins = self.value_sources()
        rows = []
        for name in type(self).model_fields:
            secret = type(self).is_secret_field(name)
            value = getattr(self, name)
            shown = _redact(value, secret) if redacted else _reveal(value)
            rows.append(
                SettingInfo(
                    name, shown, origins[name], names[name].env, names[name].django_setting, secret
                )
            )
        return rows

    def dump(self, *, redacted: bool = True) -> str:
        """A table of the effective settings and their sources, ready to print."""
        rows = [
            (row.field, repr(row.value), str(row.origin))
            for row in self.describe(redacted=redacted)
        ]
        widths = [max(len(header), *(len(r[i]) for r in rows)) for i, header in enumerate(_HEADERS)]
        lines = [f"# {type(self).__name__}"]
        lines.append("  ".join(header.ljust(widths[i]) for i, header in enumerate(_HEADERS)))
        for row in rows:
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        return "\n".join(lines)

    def redacted_values(self) -> dict[str, Any]:
        """``{field: value}`` with secrets masked: safe to log."""
        return {row.field: row.value for row in self.describe(redacted=True)}

    @classmethod
    def env_schema(cls) -> list[dict[str, Any]]:
        """One JSON-friendly dict per field, for ``netrun-env`` (which must not import us)."""
        schema = []
        for name, names in cls.variable_names().items():
            info = cls.model_fields[name]
            default: Any = None
            if not info.is_required():
                default = info.get_default(call_default_factory=True)
                if isinstance(default, (SecretStr, SecretBytes)):
                    default = None
            schema.append(
                {
                    "field": name,
                    "name": names.env,
                    "kind": _fields.field_kind(info),
                    "required": info.is_required(),
                    "default": _jsonable(default),
                    "description": info.description or "",
                    "secret": cls.is_secret_field(name),
                    "choices": list(_fields.choices_of(info)),
                    "nullable": _fields.allows_none(info),
                }
            )
        return schema

    # ------------------------------------------------------------------ errors

    @classmethod
    def _validation_error(cls, record: BuildRecord, errors: list[Any]) -> ValidationError:
        names = cls.variable_names()
        entries: list[dict[str, Any]] = []
        for error in errors:
            loc = error.get("loc", ())
            field = str(loc[0]) if loc else ""
            entries.append(_entry(cls, names, record, field, error))
        for field, message in record.problems:
            entries.append(_entry(cls, names, record, field, {"msg": message, "type": "file"}))
        summary = "; ".join(f"{entry['variable']}: {entry['message']}" for entry in entries)
        logger.error(
            "config_validation_failed",
            config=cls.__name__,
            errors=[{k: e[k] for k in ("field", "variable", "source")} for e in entries],
        )
        return ValidationError(
            f"{cls.__name__} has {len(entries)} invalid setting(s): {summary}",
            {"config": cls.__name__, "errors": entries},
        )


_HEADERS = ("setting", "value", "source")


def _entry(
    cls: type[BaseConfig],
    names: dict[str, FieldNames],
    record: BuildRecord,
    field: str,
    error: Any,
) -> dict[str, Any]:
    field_names = names.get(field)
    variable = field_names.env if field_names else field
    origin = record.origins.get(field, Origin(Source.DEFAULT))
    message = str(error.get("msg", "invalid value"))
    if error.get("type") == "missing":
        where = f"environment variable {variable}"
        if field_names and field_names.django_setting:
            where += f" or Django setting {field_names.django_setting}"
        message = f"required, not set (set {where})"
    else:
        loc = error.get("loc", ())
        if len(loc) > 1:
            message = f"{message} (at {'.'.join(str(part) for part in loc[1:])})"
        message = f"{message} (from {origin})"
    return {
        "field": field,
        "variable": variable,
        "django_setting": field_names.django_setting if field_names else None,
        "source": origin.source.value,
        "message": message,
        "type": str(error.get("type", "value_error")),
    }


def _redact(value: Any, secret: bool) -> Any:
    if isinstance(value, (SecretStr, SecretBytes)) or secret:
        return None if value is None else REDACTED
    if isinstance(value, str):
        return redact_text(value)
    return value


def _reveal(value: Any) -> Any:
    if isinstance(value, (SecretStr, SecretBytes)):
        return value.get_secret_value()
    return value


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)
