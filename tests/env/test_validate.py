"""validate_env: every rule and every message, and no value ever printed."""

from __future__ import annotations

import pytest

from netrun.env import (
    Variable,
    parse_env_text,
    schema_from_class,
    schema_from_example,
    validate_env,
)
from netrun.env._validate import _type_problem
from netrun.env.schema import SchemaError, load_config_class, looks_secret
from tests.env.schemas import ApiConfig, PlainSettings

STRONG = "Zq9vT2mW8pL5rB7nY4cH6dJ1"


def messages(
    text: str, schema: list[Variable] | None = None, **kwargs: int
) -> list[tuple[str, str, int | None]]:
    report = validate_env(parse_env_text(text, ".env"), schema, **kwargs)  # type: ignore[arg-type]
    return [(f.rule, f.message, f.line) for f in report.findings]


def api() -> list[Variable]:
    return schema_from_class(ApiConfig)


def test_clean_file_has_no_findings() -> None:
    report = validate_env(parse_env_text(f"API_SECRET_KEY={STRONG}\nAPI_WORKERS=2\n"), api())
    assert report.findings == []
    assert report.ok()
    assert report.checked == 2


def test_missing_required_variable() -> None:
    assert messages("API_WORKERS=2\n", api()) == [
        ("missing", "API_SECRET_KEY is required but not set", None)
    ]


def test_file_variable_satisfies_a_required_secret() -> None:
    assert messages("API_SECRET_KEY_FILE=/run/secrets/key\n", api()) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("API_WORKERS=four", "API_WORKERS is not an integer"),
        ("API_WORKERS=", "API_WORKERS is empty; expected int"),
        ("API_RATIO=half", "API_RATIO is not a number"),
        ("APP_DEBUG=perhaps", "APP_DEBUG is not a boolean (true/false, 1/0, yes/no, on/off)"),
        ("API_WEBHOOK_URL=example.com/hook", "API_WEBHOOK_URL is not a URL (scheme://...)"),
        ("API_ADMIN_EMAIL=ops.example.com", "API_ADMIN_EMAIL is not an e-mail address"),
        ("API_FEATURES={beta: true}", "API_FEATURES is not valid JSON"),
        ("API_MODE=turbo", "API_MODE is not one of: fast, safe"),
    ],
)
def test_type_errors(line: str, message: str) -> None:
    found = messages(f"API_SECRET_KEY={STRONG}\n{line}\n", api())
    assert found == [("type", message, 2)]


def test_valid_values_of_every_type_pass() -> None:
    text = (
        f"API_SECRET_KEY={STRONG}\nAPI_WORKERS=8\nAPI_RATIO=0.25\nAPP_DEBUG=off\n"
        "API_WEBHOOK_URL=https://hooks.example.com/x\nAPI_ADMIN_EMAIL=a@b.example\n"
        'API_FEATURES={"beta": true}\nAPI_MODE=FAST\nAPI_WEBHOOK_URL=\n'
    )
    assert [f for f in messages(text, api()) if f[0] != "duplicate"] == []


def test_path_type() -> None:
    schema = [Variable("DATA_DIR", kind="path")]
    assert messages("DATA_DIR=/var/data\n", schema) == []
    assert _type_problem(schema[0], "bad\x00path") == "is not a valid path"


@pytest.mark.parametrize(
    ("value", "rule", "message"),
    [
        ("", "secret-empty", "API_SECRET_KEY is an empty secret"),
        ("changeme", "secret-default", "API_SECRET_KEY is a well-known default or placeholder, not a secret"),
        ("Password", "secret-default", "API_SECRET_KEY is a well-known default or placeholder, not a secret"),
        ("django-insecure-abc123abc123abc123abc123", "secret-default", "API_SECRET_KEY is a well-known default or placeholder, not a secret"),
        ("short1", "secret-short", "API_SECRET_KEY is shorter than 16 characters"),
    ],
)  # fmt: skip
def test_weak_secrets(value: str, rule: str, message: str) -> None:
    found = messages(f"API_SECRET_KEY='{value}'\n", api())
    assert found == [(rule, message, 1)]
    if value:
        assert all(value not in text for _, text, _ in found)


def test_empty_optional_secret_is_feature_off_not_weak() -> None:
    assert messages(f"API_SECRET_KEY={STRONG}\nAPI_OPENAI_KEY=\n", api()) == []


def test_min_secret_length_is_configurable() -> None:
    found = messages(f"API_SECRET_KEY={STRONG}\n", api(), min_secret_length=40)
    assert found == [("secret-short", "API_SECRET_KEY is shorter than 40 characters", 1)]


def test_secret_with_dollar_is_taken_literally() -> None:
    assert messages("API_SECRET_KEY='$Zq9vT2mW8pL5rB7n$Y4c'\n", api()) == []


def test_unknown_variable_is_a_warning() -> None:
    report = validate_env(parse_env_text(f"API_SECRET_KEY={STRONG}\nAPI_WROKERS=2\n"), api())
    [finding] = report.findings
    assert (finding.rule, finding.severity, finding.message, finding.line) == (
        "unknown", "warning", "API_WROKERS is not a known variable", 2,
    )  # fmt: skip
    assert report.ok()
    assert not report.ok(strict=True)
    allowed = validate_env(
        parse_env_text(f"API_SECRET_KEY={STRONG}\nAPI_WROKERS=2\n"), api(), allow_unknown=True
    )
    assert allowed.findings == []


def test_unknown_secret_looking_variable_is_still_checked() -> None:
    found = messages(f"API_SECRET_KEY={STRONG}\nSTRIPE_API_KEY=changeme\n", api())
    assert (
        "secret-default",
        "STRIPE_API_KEY is a well-known default or placeholder, not a secret",
        2,
    ) in found


def test_without_a_schema_only_syntax_duplicates_and_secrets() -> None:
    found = messages("A=1\nA=2\n=x\nDB_PASSWORD=secret\nPORT=abc\n")
    assert found == [
        ("syntax", "line is not KEY=value", 3),
        ("duplicate", "A is defined again", 2),
        ("secret-default", "DB_PASSWORD is a well-known default or placeholder, not a secret", 4),
    ]


def test_example_schema_reads_generated_type_comments() -> None:
    example = parse_env_text(
        "# type: int, default: 4\nWORKERS=4\n"
        "# type: enum (fast|safe), default: safe\nMODE=safe\n"
        "# type: str, required, secret\nTOKEN=\n"
        "HAND_WRITTEN=\n"
    )
    schema = {v.name: v for v in schema_from_example(example)}
    assert (schema["WORKERS"].kind, schema["WORKERS"].required) == ("int", False)
    assert schema["WORKERS"].default == "4"
    assert schema["MODE"].choices == ("fast", "safe")
    assert (schema["TOKEN"].required, schema["TOKEN"].secret) == (True, True)
    assert schema["HAND_WRITTEN"].required is True
    found = messages("WORKERS=x\nMODE=slow\nTOKEN=abc\n", list(schema.values()))
    assert found == [
        ("type", "WORKERS is not an integer", 1),
        ("type", "MODE is not one of: fast, safe", 2),
        ("secret-short", "TOKEN is shorter than 16 characters", 3),
        ("missing", "HAND_WRITTEN is required but not set", None),
    ]


def test_plain_pydantic_settings_class_is_understood() -> None:
    schema = {v.name: v for v in schema_from_class(PlainSettings)}
    assert schema["PLAIN_TOKEN"].required
    assert schema["PLAIN_TOKEN"].secret
    assert (schema["PLAIN_PORT"].kind, schema["PLAIN_PORT"].default) == ("int", 8000)
    assert schema["PLAIN_DEBUG"].kind == "bool"
    assert schema["PLAIN_DEBUG"].nullable


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("no-colon", "is not of the form module:ConfigClass"),
        ("tests.env.nope:X", "cannot import 'tests.env.nope'"),
        ("tests.env.schemas:Missing", "has no attribute 'Missing'"),
        ("tests.env.schemas:NOT_A_CLASS", "is not a settings class"),
    ],
)
def test_schema_path_errors(path: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        load_config_class(path)


def test_looks_secret() -> None:
    assert looks_secret("DJANGO_SECRET_KEY")
    assert looks_secret("github_token")
    assert not looks_secret("ALLOWED_HOSTS")
