"""Checking a ``.env`` file against a schema: required, types, unknown, weak secrets.

Findings name the file, the line and the variable, and never contain a value: any variable
may be a secret, and CI logs are widely readable.

Framework-neutral.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from netrun.env._parser import EnvFile
from netrun.env.schema import Variable, looks_secret

__all__ = ["RULES", "Finding", "Report", "validate_env"]

Severity = Literal["error", "warning"]

#: Every rule: id -> (default severity, short description). SARIF lists them as rules.
RULES: dict[str, tuple[Severity, str]] = {
    "syntax": ("error", "A line that is not KEY=value"),
    "missing": ("error", "A required variable is not set"),
    "type": ("error", "A value does not have the variable's type"),
    "secret-empty": ("error", "A secret is empty"),
    "secret-short": ("error", "A secret is too short to be safe"),
    "secret-default": ("error", "A secret is a well-known default or placeholder"),
    "unknown": ("warning", "A variable the schema does not know"),
    "duplicate": ("warning", "A variable defined more than once (the last one wins)"),
}

#: Placeholders and defaults that are public knowledge (compared lowercase).
WELL_KNOWN_SECRETS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "changethis",
        "change-this",
        "secret",
        "secretkey",
        "secret-key",
        "secret_key",
        "mysecret",
        "supersecret",
        "password",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "admin",
        "root",
        "default",
        "test",
        "example",
        "todo",
        "fixme",
        "xxx",
        "123456",
        "12345678",
        "qwerty",
        "letmein",
        "your-secret-key",
        "your_secret_key",
        "your-api-key",
        "replace-me",
    }
)
#: Django's startproject key prefix: such a key was generated for development only.
INSECURE_PREFIXES = ("django-insecure",)
DEFAULT_MIN_SECRET_LENGTH = 16

_TRUE_FALSE = frozenset({"1", "0", "true", "false", "yes", "no", "on", "off", "y", "n", "t", "f"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    variable: str | None
    message: str
    file: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    file: str
    findings: list[Finding] = field(default_factory=list)
    checked: int = 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def ok(self, *, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)


def _type_problem(variable: Variable, value: str) -> str | None:
    """Why ``value`` is not a ``variable.kind``; ``None`` when it is."""
    kind, text = variable.kind, value.strip()
    if text == "":
        # An empty value is what pydantic would see, so only text or nullable types accept it.
        if variable.kind in ("str", "path", "list") or variable.nullable:
            return None
        return f"is empty; expected {kind}"
    if kind == "int":
        try:
            int(text)
        except ValueError:
            return "is not an integer"
    elif kind == "float":
        try:
            float(text)
        except ValueError:
            return "is not a number"
    elif kind == "bool":
        if text.lower() not in _TRUE_FALSE:
            return "is not a boolean (true/false, 1/0, yes/no, on/off)"
    elif kind == "url":
        parsed = urllib.parse.urlsplit(text)
        if "://" not in text or not parsed.scheme or not (parsed.netloc or parsed.path):
            return "is not a URL (scheme://...)"
    elif kind == "email":
        if not _EMAIL.match(text):
            return "is not an e-mail address"
    elif kind == "json":
        try:
            json.loads(text)
        except ValueError:
            return "is not valid JSON"
    elif kind == "enum":
        if variable.choices and text.lower() not in {c.lower() for c in variable.choices}:
            return f"is not one of: {', '.join(variable.choices)}"
    elif kind == "path" and "\x00" in text:
        return "is not a valid path"
    return None


def _secret_problem(variable: Variable, value: str, min_length: int) -> tuple[str, str] | None:
    text = value.strip()
    if text == "":
        if not variable.required:
            return None  # an unset optional key means "feature off", not a weak secret
        return "secret-empty", "is an empty secret"
    lowered = text.lower()
    if lowered in WELL_KNOWN_SECRETS or lowered.startswith(INSECURE_PREFIXES):
        return "secret-default", "is a well-known default or placeholder, not a secret"
    if len(text) < min_length:
        return "secret-short", f"is shorter than {min_length} characters"
    return None


def validate_env(
    env: EnvFile,
    schema: Sequence[Variable] | None,
    *,
    min_secret_length: int = DEFAULT_MIN_SECRET_LENGTH,
    allow_unknown: bool = False,
) -> Report:
    """Check ``env`` against ``schema``; without a schema only syntax and secrets are checked."""
    report = Report(env.path)
    path = env.path

    def add(rule: str, variable: str | None, message: str, line: int | None) -> None:
        report.findings.append(Finding(rule, RULES[rule][0], variable, message, path, line))

    for bad_line in env.syntax_errors:
        add("syntax", None, "line is not KEY=value", bad_line)

    seen: set[str] = set()
    for entry in env.entries:
        if entry.key in seen:
            add("duplicate", entry.key, f"{entry.key} is defined again", entry.line)
        seen.add(entry.key)

    values = env.values()
    known = {variable.name: variable for variable in schema or ()}
    for key in values:
        report.checked += 1
        last = env.entry(key)
        line = last.line if last else None
        variable = known.get(key)
        if variable is None and key.endswith("_FILE") and key.removesuffix("_FILE") in known:
            continue  # a *_FILE pointer for a known variable
        if variable is None:
            if schema is not None and not allow_unknown:
                add("unknown", key, f"{key} is not a known variable", line)
            variable = Variable(key, required=True, secret=looks_secret(key))
            if not variable.secret:
                continue
        value = values[key] or ""
        problem = _type_problem(variable, value)
        if problem is not None:
            add("type", key, f"{key} {problem}", line)
            continue
        if variable.secret:
            secret_problem = _secret_problem(variable, value, min_secret_length)
            if secret_problem is not None:
                rule, message = secret_problem
                add(rule, key, f"{key} {message}", line)

    for variable in schema or ():
        if not variable.required or variable.name in values:
            continue
        if f"{variable.name}_FILE" in values:
            continue
        add("missing", variable.name, f"{variable.name} is required but not set", None)
    return report
