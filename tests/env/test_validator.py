"""``EnvValidator.validate(path) -> ValidationResult``: the seeds' API, raising netrun's error."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from netrun.env import EnvValidator, ValidationResult, Variable
from netrun.errors import ValidationError
from netrun.logging.testing import capture_logs
from tests.env.schemas import ApiConfig

STRONG = "k3J9x!Qm2Lp8Zr5Tw7Yb"


def write(tmp_path: Path, text: str, name: str = ".env") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_returns_a_valid_result(tmp_path: Path) -> None:
    env = write(tmp_path, f"API_SECRET_KEY={STRONG}\nAPI_WORKERS=8\n")
    with capture_logs() as logs:
        result = EnvValidator(ApiConfig).validate(env)
    assert isinstance(result, ValidationResult)
    assert result.valid is True
    assert result.variable_count == 2
    assert result.warnings == []
    assert [log["event"] for log in logs] == ["validation_started", "validation_passed"]
    assert logs[1]["variable_count"] == 2


def test_errors_raise_validation_error_with_every_error_in_details(tmp_path: Path) -> None:
    env = write(tmp_path, "API_SECRET_KEY=changeme\nAPI_WORKERS=many\n")
    with capture_logs() as logs, pytest.raises(ValidationError) as caught:
        EnvValidator("tests.env.schemas:ApiConfig").validate(env)
    error = caught.value
    assert error.message == "Environment validation failed"
    assert error.status_code == 400
    rules = sorted(problem["rule"] for problem in error.details["errors"])
    assert rules == ["secret-default", "type"]
    assert {problem["line"] for problem in error.details["errors"]} == {1, 2}
    assert "changeme" not in str(error.details)  # findings never carry a value
    failed = [log for log in logs if log["event"] == "validation_failed"]
    assert failed[0]["error_count"] == 2
    assert failed[0]["log_level"] == "error"


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    env = write(tmp_path, f"API_SECRET_KEY={STRONG}\nSURPRISE=1\n")
    result = EnvValidator(ApiConfig).validate(env)
    assert [w["rule"] for w in result.warnings] == ["unknown"]
    with pytest.raises(ValidationError) as caught:
        EnvValidator(ApiConfig, strict=True).validate(env)
    assert caught.value.details["errors"][0]["variable"] == "SURPRISE"
    assert EnvValidator(ApiConfig, allow_unknown=True, strict=True).validate(env).valid


def test_an_example_file_or_variables_as_the_schema(tmp_path: Path) -> None:
    example = write(tmp_path, "DATABASE_URL=\nDEBUG=false\n", ".env.example")
    env = write(tmp_path, "DEBUG=true\n")
    with pytest.raises(ValidationError) as caught:
        EnvValidator(example=example).validate(env)
    assert caught.value.details["errors"][0]["variable"] == "DATABASE_URL"
    variables = [Variable("DEBUG", kind="bool")]
    assert EnvValidator(variables).validate(env).valid


def test_a_missing_file_is_an_error_and_no_schema_checks_secrets_only(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        EnvValidator().validate(tmp_path / "absent.env")
    assert caught.value.details["errors"][0]["message"] == "file not found"
    env = write(tmp_path, "ANYTHING=1\nAPI_TOKEN=short\n")
    with pytest.raises(ValidationError) as weak:
        EnvValidator().validate(env)
    assert weak.value.details["errors"][0]["rule"] == "secret-short"


def test_schema_and_example_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        EnvValidator(ApiConfig, example=tmp_path / ".env.example")


def test_check_reports_without_raising(tmp_path: Path) -> None:
    env = write(tmp_path, "API_WORKERS=0.5\n")
    report = EnvValidator(ApiConfig).check(env)
    assert {f.rule for f in report.errors} == {"type", "missing"}


def test_the_seeds_import_path_is_this_class() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from netrun_env.validator import EnvValidator as SeedValidator

    assert SeedValidator is EnvValidator
