"""Netrun env: ``.env`` validation, diff and example generation (the ``netrun-env`` CLI).

Level 2, independent of ``netrun.config``: settings classes are loaded by dotted path and
asked for ``env_schema()``. ``netrun.config`` answers "what does the running process see";
``netrun.env`` answers "is this file right" before anything runs (in CI, in a deploy step).

    from netrun.env import parse_env_file, schema_from_example, validate_env

    report = validate_env(parse_env_file(".env"), schema_from_example(parse_env_file(".env.example")))

    # or, as in netrun-env 1.1: raises netrun.errors.ValidationError with details["errors"]
    result = EnvValidator(example=".env.example").validate(".env")

This module imports without Django; ``manage.py netrun_env`` is the Django entry point.
"""

from __future__ import annotations

from netrun.env._generate import generate_example
from netrun.env._parser import EnvEntry, EnvFile, parse_env_file, parse_env_text
from netrun.env._report import render, render_json, render_sarif, render_text
from netrun.env._validate import RULES, Finding, Report, validate_env
from netrun.env.schema import (
    SchemaError,
    Variable,
    load_config_class,
    looks_secret,
    schema_from_class,
    schema_from_example,
)
from netrun.env.validator import EnvValidator, ValidationResult

__all__ = [
    "RULES",
    "EnvEntry",
    "EnvFile",
    "EnvValidator",
    "Finding",
    "Report",
    "SchemaError",
    "ValidationResult",
    "Variable",
    "generate_example",
    "load_config_class",
    "looks_secret",
    "parse_env_file",
    "parse_env_text",
    "render",
    "render_json",
    "render_sarif",
    "render_text",
    "schema_from_class",
    "schema_from_example",
    "validate_env",
]
