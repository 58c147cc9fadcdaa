"""``Field`` with the seeds' ``env=`` keyword, and the naming rules every source shares.

A field's names in each source are computed here, once, so the sources, the error messages,
``dump()`` and ``netrun-env generate-example`` can never disagree about them:

* environment variable: ``Field(env="CORS_PRESET")``, else ``env_prefix + NAME``;
* Django setting: ``Field(django_setting=...)``, else ``django_prefix`` + the variable name
  without its ``env_prefix`` (``CORS_MAX_AGE`` -> ``NETRUN_CORS_MAX_AGE``);
* secret file: the variable name (``/run/secrets/CORS_API_KEY``, also lowercase), or the path
  in ``<VARIABLE>_FILE``;
* Key Vault secret: ``Field(key_vault=...)``, else the variable name lowercased with dashes
  (Key Vault names allow only letters, digits and ``-``).

Framework-neutral: no Django import.
"""

from __future__ import annotations

import enum
import pathlib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union

import pydantic
from pydantic import AnyUrl, BaseModel, SecretBytes, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

__all__ = ["Field", "FieldNames", "NetrunFieldSpec", "field_kind", "field_names"]

Kind = Literal["str", "int", "float", "bool", "url", "email", "json", "enum", "path", "list"]


@dataclass(frozen=True)
class NetrunFieldSpec:
    """Netrun's per-field options, carried in the pydantic ``FieldInfo.metadata`` list.

    Pydantic ignores metadata objects it does not know, so this rides along with the field
    through subclassing and ``Annotated`` without changing validation.
    """

    env: str | None = None
    django_setting: str | None = None
    key_vault: str | None = None
    kind: Kind | None = None
    secret: bool | None = None


def Field(
    default: Any = PydanticUndefined,
    *,
    env: str | None = None,
    django_setting: str | None = None,
    key_vault: str | None = None,
    kind: Kind | None = None,
    secret: bool | None = None,
    **kwargs: Any,
) -> Any:
    """``pydantic.Field`` plus the seeds' ``env="CORS_PRESET"`` keyword.

    ``env`` is the full environment variable name (no prefix is added). ``django_setting``
    and ``key_vault`` override the derived Django setting and Key Vault secret names.
    ``kind`` tells ``netrun-env`` how to check a value when the annotation does not
    (``kind="email"`` on a ``str``); ``secret=True`` marks a plain ``str`` as a secret for
    redaction and weak-secret checks (``SecretStr`` fields are secrets already). Every other
    keyword (``ge``, ``le``, ``description``, ``default_factory``...) goes to pydantic.
    """
    info: FieldInfo = pydantic.Field(default, **kwargs)
    if any(value is not None for value in (env, django_setting, key_vault, kind, secret)):
        info.metadata.append(NetrunFieldSpec(env, django_setting, key_vault, kind, secret))
    return info


def spec_of(info: FieldInfo) -> NetrunFieldSpec:
    for item in info.metadata:
        if isinstance(item, NetrunFieldSpec):
            return item
    return NetrunFieldSpec()


@dataclass(frozen=True)
class FieldNames:
    """Where one field is read from, in every source."""

    field: str
    env: str
    django_setting: str | None
    key_vault: str


def field_names(
    name: str, info: FieldInfo, *, env_prefix: str, django_prefix: str | None
) -> FieldNames:
    spec = spec_of(info)
    env = spec.env or f"{env_prefix}{name}".upper()
    if spec.django_setting:
        django_setting: str | None = spec.django_setting
    elif django_prefix is None:
        django_setting = None
    else:
        short = env[len(env_prefix) :] if env_prefix and env.startswith(env_prefix.upper()) else env
        django_setting = f"{django_prefix}{short}"
    key_vault = spec.key_vault or env.lower().replace("_", "-")
    return FieldNames(name, env, django_setting, key_vault)


def _unwrap_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return _unwrap_optional(args[0])
    if origin is typing.Annotated:
        return _unwrap_optional(typing.get_args(annotation)[0])
    return annotation


def allows_none(info: FieldInfo) -> bool:
    origin = typing.get_origin(info.annotation)
    return (origin is Union or origin is types.UnionType) and type(None) in typing.get_args(
        info.annotation
    )


def is_secret(info: FieldInfo) -> bool:
    spec = spec_of(info)
    if spec.secret is not None:
        return spec.secret
    annotation = _unwrap_optional(info.annotation)
    return isinstance(annotation, type) and issubclass(annotation, (SecretStr, SecretBytes))


def is_complex(info: FieldInfo) -> bool:
    """True for fields whose text value is JSON (or a comma-separated list)."""
    annotation = _unwrap_optional(info.annotation)
    origin = typing.get_origin(annotation) or annotation
    if isinstance(origin, type):
        if issubclass(origin, (str, bytes)):
            return False
        return issubclass(origin, (BaseModel, Mapping, Sequence, set, frozenset))
    return False


def is_sequence(info: FieldInfo) -> bool:
    annotation = _unwrap_optional(info.annotation)
    origin = typing.get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, (list, tuple, set, frozenset))


def choices_of(info: FieldInfo) -> tuple[str, ...]:
    annotation = _unwrap_optional(info.annotation)
    if typing.get_origin(annotation) is Literal:
        return tuple(str(arg) for arg in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(str(member.value) for member in annotation)
    return ()


def field_kind(info: FieldInfo) -> Kind:
    """The ``netrun-env`` type of a field: how its text value is checked."""
    spec = spec_of(info)
    if spec.kind:
        return spec.kind
    annotation = _unwrap_optional(info.annotation)
    if choices_of(info):
        return "enum"
    if is_sequence(info):
        return "list"
    if is_complex(info):
        return "json"
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return "bool"
        if issubclass(annotation, int):
            return "int"
        if issubclass(annotation, float):
            return "float"
        if issubclass(annotation, AnyUrl):
            return "url"
        if issubclass(annotation, pathlib.PurePath):
            return "path"
        if annotation.__name__ == "EmailStr":
            return "email"
    return "str"
