"""``EnvValidator``: the seeds' object API over :func:`netrun.env.validate_env`.

::

    from netrun.env import EnvValidator
    from netrun.errors import ValidationError

    validator = EnvValidator(schema="myapp.settings:AppConfig")   # or example=".env.example"
    try:
        result = validator.validate(Path(".env"))                  # ValidationResult(valid=True)
    except ValidationError as error:
        for problem in error.details["errors"]:                    # rule, variable, file, line
            print(problem["message"])

``validate()`` raises :class:`netrun.errors.ValidationError` (400, ``VALIDATION_ERROR``) when
the file has errors (warnings too with ``strict=True``), with every finding in
``details["errors"]``; findings never contain a value. It logs ``validation_started``,
``validation_failed`` / ``validation_passed``, as netrun-env 1.1 did.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netrun.env._parser import parse_env_file
from netrun.env._validate import DEFAULT_MIN_SECRET_LENGTH, Finding, Report, validate_env
from netrun.env.schema import Variable, load_config_class, schema_from_class, schema_from_example
from netrun.errors import ValidationError
from netrun.logging import get_logger

__all__ = ["EnvValidator", "ValidationResult"]

logger = get_logger(__name__)


@dataclass(frozen=True)
class ValidationResult:
    """A file that passed: ``valid`` is always true here (failures raise), plus what was seen."""

    valid: bool
    env_file: str = ""
    variable_count: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)
    report: Report | None = field(default=None, compare=False, repr=False)


class EnvValidator:
    """Checks ``.env`` files against a schema: a settings class, an example file or variables.

    ``schema`` is a ``BaseConfig`` (pydantic settings) class, its ``"module:Class"`` path, or a
    list of :class:`netrun.env.Variable`; ``example`` an ``.env.example`` path. Without
    either, only syntax, duplicates and secret-looking values are checked.
    """

    def __init__(
        self,
        schema: type[Any] | str | Sequence[Variable] | None = None,
        *,
        example: str | Path | None = None,
        strict: bool = False,
        allow_unknown: bool = False,
        min_secret_length: int = DEFAULT_MIN_SECRET_LENGTH,
    ) -> None:
        if schema is not None and example is not None:
            raise ValueError("EnvValidator takes a schema or an example file, not both")
        self.strict = strict
        self.allow_unknown = allow_unknown
        self.min_secret_length = min_secret_length
        self.variables: list[Variable] | None
        if isinstance(schema, str):
            self.variables = schema_from_class(load_config_class(schema))
        elif isinstance(schema, type):
            self.variables = schema_from_class(schema)
        elif schema is not None:
            self.variables = list(schema)
        elif example is not None:
            self.variables = schema_from_example(parse_env_file(example))
        else:
            self.variables = None

    def check(self, env_file: str | Path = ".env") -> Report:
        """The findings for ``env_file`` without raising (a missing file is one error)."""
        path = str(env_file)
        if not Path(path).is_file():
            return Report(path, [Finding("missing", "error", None, "file not found", path)])
        return validate_env(
            parse_env_file(path),
            self.variables,
            min_secret_length=self.min_secret_length,
            allow_unknown=self.allow_unknown,
        )

    def validate(self, env_file: str | Path = ".env") -> ValidationResult:
        """Check ``env_file``; raise :class:`netrun.errors.ValidationError` when it fails."""
        path = str(env_file)
        logger.info("validation_started", env_file=path)
        report = self.check(path)
        failing = report.findings if self.strict else report.errors
        if failing:
            errors = [finding.to_dict() for finding in failing]
            logger.error(
                "validation_failed",
                env_file=path,
                error_count=len(errors),
                first_error=errors[0]["message"],
            )
            raise ValidationError(
                message="Environment validation failed",
                details={"env_file": path, "errors": errors},
            )
        logger.info("validation_passed", env_file=path, variable_count=report.checked)
        return ValidationResult(
            valid=True,
            env_file=path,
            variable_count=report.checked,
            warnings=[finding.to_dict() for finding in report.warnings],
            report=report,
        )
