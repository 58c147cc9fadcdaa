"""The netrun-env CLI: exit codes, the three formats, diff, generate-example, manage.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.core.management import call_command
from django.core.management.base import CommandError

from netrun.env._validate import RULES
from netrun.env.cli import main

STRONG = "Zq9vT2mW8pL5rB7nY4cH6dJ1"
SCHEMA = "tests.env.schemas:ApiConfig"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_validate_clean_file_exits_0(workdir: Path) -> None:
    (workdir / ".env").write_text(f"API_SECRET_KEY={STRONG}\n", encoding="utf-8")
    code, output = run("validate", "--schema", SCHEMA)
    assert code == 0
    assert output.strip() == ".env: OK (1 variables, 0 errors, 0 warnings)"


def test_validate_text_names_file_line_variable_and_hides_values(workdir: Path) -> None:
    (workdir / "prod.env").write_text(
        "API_SECRET_KEY=django-insecure-topsecretvalue\nAPI_WORKERS=many\n", encoding="utf-8"
    )
    code, output = run("validate", "prod.env", "--schema", SCHEMA)
    assert code == 1
    assert output.splitlines() == [
        "prod.env:1: error[secret-default] API_SECRET_KEY is a well-known default or placeholder, not a secret",
        "prod.env:2: error[type] API_WORKERS is not an integer",
        "prod.env: FAILED (2 variables, 2 errors, 0 warnings)",
    ]
    assert "topsecretvalue" not in output
    assert "many" not in output


def test_validate_json_format(workdir: Path) -> None:
    (workdir / ".env").write_text("API_WORKERS=2\n", encoding="utf-8")
    code, output = run("validate", "--schema", SCHEMA, "--format", "json")
    assert code == 1
    payload = json.loads(output)
    assert payload["ok"] is False
    [report] = payload["reports"]
    assert report["errors"] == 1
    assert report["findings"] == [
        {
            "rule": "missing",
            "severity": "error",
            "variable": "API_SECRET_KEY",
            "message": "API_SECRET_KEY is required but not set",
            "file": ".env",
            "line": None,
        }
    ]


def test_validate_sarif_format(workdir: Path) -> None:
    (workdir / ".env").write_text(f"API_SECRET_KEY={STRONG}\nAPI_MODE=turbo\n", encoding="utf-8")
    code, output = run("validate", str(workdir / ".env"), "--schema", SCHEMA, "--format", "sarif")
    assert code == 1
    sarif = json.loads(output)
    assert sarif["version"] == "2.1.0"
    [run_] = sarif["runs"]
    assert run_["tool"]["driver"]["name"] == "netrun-env"
    assert [rule["id"] for rule in run_["tool"]["driver"]["rules"]] == [
        f"netrun-env/{rule}" for rule in RULES
    ]
    [result] = run_["results"]
    assert result["ruleId"] == "netrun-env/type"
    assert run_["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "netrun-env/type"
    assert result["level"] == "error"
    assert result["message"]["text"] == "API_MODE is not one of: fast, safe"
    location = result["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": ".env"}, "region": {"startLine": 2}}


def test_sarif_for_a_missing_variable_has_no_region(workdir: Path) -> None:
    (workdir / ".env").write_text("", encoding="utf-8")
    code, output = run("validate", "--schema", SCHEMA, "--format", "sarif")
    assert code == 1
    [result] = json.loads(output)["runs"][0]["results"]
    assert "region" not in result["locations"][0]["physicalLocation"]


def test_warnings_pass_unless_strict(workdir: Path) -> None:
    (workdir / ".env").write_text(f"API_SECRET_KEY={STRONG}\nTYPO=1\n", encoding="utf-8")
    assert run("validate", "--schema", SCHEMA)[0] == 0
    code, output = run("validate", "--schema", SCHEMA, "--strict", "--format", "sarif")
    assert code == 1
    assert json.loads(output)["runs"][0]["results"][0]["level"] == "error"


def test_validate_against_an_example(workdir: Path) -> None:
    (workdir / ".env.example").write_text("A=\n# type: int, default: 1\nB=1\n", encoding="utf-8")
    (workdir / ".env").write_text("B=x\n", encoding="utf-8")
    code, output = run("validate", "--example", ".env.example")
    assert code == 1
    assert ".env:1: error[type] B is not an integer" in output
    assert ".env: error[missing] A is required but not set" in output


def test_validate_missing_file_exits_1(workdir: Path) -> None:
    code, output = run("validate", "absent.env")
    assert code == 1
    assert "absent.env: error[missing] file not found" in output


def test_usage_errors_exit_2(workdir: Path) -> None:
    (workdir / ".env").write_text("", encoding="utf-8")
    assert run("validate", "--schema", "nope")[0] == 2
    assert run("validate", "--schema", SCHEMA, "--example", ".env")[0] == 2
    assert run("validate", "--example", "missing.example")[0] == 2
    assert run("validate", "--format", "xml")[0] == 2


def test_diff_lists_missing_and_extra(workdir: Path) -> None:
    (workdir / ".env").write_text("A=1\nEXTRA=2\n", encoding="utf-8")
    (workdir / ".env.example").write_text("A=\nB=\n", encoding="utf-8")
    code, output = run("diff", ".env", ".env.example")
    assert code == 1
    assert output.splitlines() == [
        "missing  B  (in .env.example, not in .env)",
        "extra    EXTRA  (in .env, not in .env.example)",
    ]
    code, output = run("diff", ".env", ".env.example", "--format", "json")
    assert json.loads(output) == {"missing": ["B"], "extra": ["EXTRA"]}


def test_diff_of_matching_files_exits_0(workdir: Path) -> None:
    (workdir / ".env").write_text("export A=1\n", encoding="utf-8")
    (workdir / ".env.example").write_text("A=\n", encoding="utf-8")
    code, output = run("diff", ".env", ".env.example")
    assert (code, output.strip()) == (0, ".env and .env.example define the same variables")


def test_generate_example_round_trips_through_validate(workdir: Path) -> None:
    code, output = run("generate-example", SCHEMA)
    assert (code, output.strip()) == (0, "wrote .env.example (12 variables)")
    text = (workdir / ".env.example").read_text(encoding="utf-8")
    assert "# Signs sessions.\n# type: str, required, secret\nAPI_SECRET_KEY=\n" in text
    assert "# Worker processes.\n# type: int, default: 4\nAPI_WORKERS=4\n" in text
    assert "# type: enum (fast|safe), default: safe\nAPI_MODE=safe\n" in text
    assert "# type: json, default: {}\nAPI_FEATURES='{}'\n" in text
    assert "# type: str, secret\nAPI_OPENAI_KEY=\n" in text
    # The example itself is a valid template: only the required secret is missing a value.
    (workdir / ".env").write_text(text.replace("API_SECRET_KEY=", f"API_SECRET_KEY={STRONG}"))
    assert run("validate", "--example", ".env.example")[0] == 0
    assert run("validate", "--schema", SCHEMA)[0] == 0
    assert run("diff", ".env", ".env.example")[0] == 0


def test_generate_example_to_stdout_and_bad_path(workdir: Path) -> None:
    code, output = run("generate-example", "tests.env.schemas:PlainSettings", "-o", "-")
    assert code == 0
    assert "# type: int, default: 8000\nPLAIN_PORT=8000\n" in output
    assert not (workdir / ".env.example").exists()
    assert run("generate-example", "tests.env.schemas:Nope")[0] == 2


def test_manage_py_netrun_env(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / ".env").write_text(f"API_SECRET_KEY={STRONG}\n", encoding="utf-8")
    call_command("netrun_env", "validate", "--schema", SCHEMA)
    assert "OK" in capsys.readouterr().out
    (workdir / ".env").write_text("API_SECRET_KEY=changeme\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("netrun_env", "validate", "--schema", SCHEMA)
    assert caught.value.returncode == 1
    with pytest.raises(CommandError) as usage:
        call_command("netrun_env", "validate", "--format", "xml")
    assert usage.value.returncode == 2


def test_version_option() -> None:
    code, output = run("--version")
    assert code == 0
    assert output.startswith("netrun-env, version ")
