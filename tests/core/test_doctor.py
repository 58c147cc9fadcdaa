from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.core.checks import Error, register
from django.core.management import CommandError, call_command

from netrun.core._doctor import build_report, render_text
from netrun.core.cli import main
from netrun.core.registry import NETRUN_APPS

ROOT = Path(__file__).resolve().parents[2]

# Run in a subprocess with "openai" made unimportable, the way a missing install looks.
BLOCK_AND_RUN = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "openai" or name.startswith("openai."):
            raise ModuleNotFoundError(name)
        return None
sys.meta_path.insert(0, Block())
from netrun.core.cli import main
sys.argv = ["netrun", "doctor", "--json"]
main()
"""


def _subprocess_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.pop("COVERAGE_PROCESS_START", None)
    return env


def _row(report: dict[str, object], dependency: str) -> dict[str, object]:
    rows = report["optional_dependencies"]
    assert isinstance(rows, list)
    return next(row for row in rows if row["dependency"] == dependency)


def test_report_lists_every_app_as_installed_under_the_test_settings() -> None:
    report = build_report()
    assert report["ok"] is True
    assert [p["name"] for p in report["packages"]] == list(NETRUN_APPS)
    assert all(p["importable"] and p["installed"] for p in report["packages"])
    assert report["django"]["settings_module"] == "tests.settings"
    assert "netrun.core: Structured auth event logging" not in report["features_enabled"]
    assert "netrun.auth: Structured auth event logging" in report["features_enabled"]


def test_failing_system_checks_make_the_report_fail() -> None:
    def broken(app_configs: object, **kwargs: object) -> list[Error]:
        return [Error("the probe is broken", hint="fix the probe", id="tests.E001")]

    register(broken, "tests")
    try:
        report = build_report()
        text = render_text(report)
        with pytest.raises(CommandError, match="found problems"):
            call_command("netrun_doctor", stdout=open(os.devnull, "w"))  # noqa: SIM115
    finally:
        from django.core.checks.registry import registry

        registry.registered_checks.discard(broken)
    assert report["ok"] is False
    assert {"id": "tests.E001", "level": "ERROR", "is_error": True, "message": "the probe is broken", "hint": "fix the probe", "obj": None} in report["checks"]  # fmt: skip
    assert "ERROR tests.E001: the probe is broken" in text
    assert "hint: fix the probe" in text
    assert text.endswith("PROBLEMS FOUND")


def test_management_command_prints_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("netrun_doctor")
    text = capsys.readouterr().out
    assert "Packages" in text
    assert "[x] netrun.llm" in text
    assert "System checks\n  no issues" in text
    call_command("netrun_doctor", "--json", "--no-checks")
    report = json.loads(capsys.readouterr().out)
    assert report["checks"] == []
    assert report["netrun_version"] == "2.1.0.dev0"


def test_console_script_without_django_settings_reports_dependencies_truthfully() -> None:
    present = subprocess.run(
        [sys.executable, "-c", "from netrun.core.cli import main; main()", "doctor", "--json"],
        capture_output=True, text=True, env=_subprocess_env(), cwd=ROOT, check=True,
    )  # fmt: skip
    absent = subprocess.run(
        [sys.executable, "-c", BLOCK_AND_RUN],
        capture_output=True, text=True, env=_subprocess_env(), cwd=ROOT, check=True,
    )  # fmt: skip
    with_openai, without_openai = json.loads(present.stdout), json.loads(absent.stdout)

    assert with_openai["django"] is None
    assert with_openai["packages"][0]["installed"] is None
    assert _row(with_openai, "openai")["available"] is True
    assert _row(with_openai, "openai")["version"]
    assert "netrun.llm: OpenAI provider support" in with_openai["features_enabled"]

    assert _row(without_openai, "openai") | {"available": False, "version": None} == _row(without_openai, "openai")  # fmt: skip
    assert "netrun.llm: OpenAI provider support" not in without_openai["features_enabled"]
    # Everything else is reported the same either way.
    assert _row(without_openai, "anthropic") == _row(with_openai, "anthropic")


def test_console_script_text_report_with_settings() -> None:
    result = CliRunner().invoke(
        main, ["doctor", "--settings", "tests.settings", "--pythonpath", str(ROOT)]
    )
    assert result.exit_code == 0, result.output
    assert "Django" in result.output
    assert "settings: tests.settings" in result.output
    assert "[x] netrun.rbac" in result.output
    assert result.output.rstrip().endswith("OK")


def test_console_script_refuses_unknown_settings_with_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from netrun.core.cli import main; main()", "doctor", "--settings", "no_such_settings_module"],
        capture_output=True, text=True, env=_subprocess_env(), cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 1
    assert "cannot load Django settings 'no_such_settings_module'" in result.stderr


def test_text_report_without_django_explains_how_to_configure() -> None:
    report = build_report()
    report["django"] = None
    report["checks"] = []
    for package in report["packages"]:
        package["installed"] = None
    report["packages"][1] = {"name": "netrun.errors", "importable": False, "error": "ImportError: x", "installed": None}  # fmt: skip
    text = render_text(report)
    assert "Django settings not configured" in text
    assert "not run (Django not configured)" in text
    assert "IMPORT FAILED: ImportError: x" in text
    assert re.search(r"\[x\] netrun\.core +importable\n", text)


def test_version_option() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "2.1.0.dev0" in result.output
