"""What a ``.env`` file should contain: variables with a type, requiredness and secrecy.

A schema comes from a settings class (``--schema module:ConfigClass``) or from an example
file (``--example .env.example``). ``netrun.env`` never imports ``netrun.config`` (the two
packages are independent layers): a class is loaded by its dotted path and asked for
``env_schema()``, which every ``netrun.config.BaseConfig`` provides; a plain
pydantic-settings class is read from its fields instead.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from netrun.env._parser import EnvFile

__all__ = [
    "KINDS",
    "SchemaError",
    "Variable",
    "load_config_class",
    "looks_secret",
    "schema_from_class",
    "schema_from_example",
]

#: The value types ``validate`` checks.
KINDS = ("str", "int", "float", "bool", "url", "email", "json", "enum", "path", "list")

_SECRET_NAME = re.compile(
    r"(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIAL|_KEY$)"
)


class SchemaError(Exception):
    """A ``--schema`` path that does not name a loadable settings class."""


@dataclass(frozen=True)
class Variable:
    name: str
    kind: str = "str"
    required: bool = True
    secret: bool = False
    default: Any = None
    description: str = ""
    choices: tuple[str, ...] = ()
    nullable: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


def looks_secret(name: str) -> bool:
    """Variables named like secrets are checked as secrets even without a schema."""
    return bool(_SECRET_NAME.search(name.upper()))


def load_config_class(path: str) -> type[Any]:
    """Import ``module:Class`` (the current directory is importable, as for ``manage.py``)."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute:
        raise SchemaError(f"{path!r} is not of the form module:ConfigClass")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise SchemaError(f"cannot import {module_name!r}: {error}") from error
    try:
        config_class = getattr(module, attribute)
    except AttributeError:
        raise SchemaError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not isinstance(config_class, type) or not hasattr(config_class, "model_fields"):
        raise SchemaError(f"{path!r} is not a settings class")
    return config_class


def schema_from_class(config_class: type[Any]) -> list[Variable]:
    env_schema = getattr(config_class, "env_schema", None)
    if callable(env_schema):
        return [
            Variable(
                name=item["name"],
                kind=item.get("kind", "str"),
                required=bool(item.get("required", False)),
                secret=bool(item.get("secret", False)),
                default=item.get("default"),
                description=item.get("description", ""),
                choices=tuple(item.get("choices", ())),
                nullable=bool(item.get("nullable", False)),
            )
            for item in env_schema()
        ]
    return _schema_from_pydantic(config_class)


def _schema_from_pydantic(config_class: type[Any]) -> list[Variable]:
    prefix = str(config_class.model_config.get("env_prefix") or "")
    variables = []
    for name, info in config_class.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        annotation = info.annotation
        args = typing.get_args(annotation)
        nullable = type(None) in args
        base = next((arg for arg in args if arg is not type(None)), annotation)
        kind = {bool: "bool", int: "int", float: "float"}.get(base, "str")
        required = bool(info.is_required())
        variables.append(
            Variable(
                name=(alias or f"{prefix}{name}").upper(),
                kind=kind,
                required=required,
                secret="Secret" in getattr(base, "__name__", "") or looks_secret(name),
                default=None if required else info.default,
                description=info.description or "",
                nullable=nullable,
            )
        )
    return variables


_TYPE_COMMENT = re.compile(r"^type:\s*(?P<kind>[a-z]+)\s*(?:\((?P<choices>[^)]*)\))?(?P<rest>.*)$")


def schema_from_example(example: EnvFile) -> list[Variable]:
    """Variables of an example file; each is required unless its type comment says otherwise.

    The comment ``netrun-env generate-example`` writes above a variable::

        # type: enum (development|staging|production), default: development
        # type: str, required, secret
    """
    variables = []
    for entry in _last_entries(example.entries):
        kind, required, secret = "str", True, looks_secret(entry.key)
        choices: tuple[str, ...] = ()
        default: str | None = None
        for comment in entry.comments:
            match = _TYPE_COMMENT.match(comment)
            if match is None:
                continue
            kind = match["kind"] if match["kind"] in KINDS else "str"
            if match["choices"]:
                choices = tuple(c.strip() for c in match["choices"].split("|") if c.strip())
            flags = [part.strip() for part in match["rest"].split(",") if part.strip()]
            required = "required" in flags
            secret = secret or "secret" in flags
            for flag in flags:
                if flag.startswith("default:"):
                    default = flag.removeprefix("default:").strip()
        variables.append(
            Variable(
                entry.key, kind, required, secret, default, choices=choices, nullable=not required
            )
        )
    return variables


def _last_entries(entries: Iterable[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for entry in entries:
        seen[entry.key] = entry
    return list(seen.values())
