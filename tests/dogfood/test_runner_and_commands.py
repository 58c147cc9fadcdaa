"""The runner, the report, ``netrun dogfood`` and ``manage.py netrun_dogfood``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.core.management import CommandError, call_command

from netrun.dogfood import CheckResult, Report, run_dogfood, suite
from netrun.dogfood.cli import dogfood

FAST = [
    *("--skip", "exceptions", "--skip", "levels"),
    *("--skip", "soft_dependencies", "--skip", "tenant_escapes"),
]


def test_report_text_json_and_exit_codes() -> None:
    report = Report(
        [
            CheckResult("a", "pass", "fine"),
            CheckResult("b", "warn", "hmm", ["detail"]),
            CheckResult("c", "skip", "skipped: why"),
        ]
    )
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1
    assert report.exit_code(fail_on_skip=True) == 1
    text = report.to_text()
    assert "[WARN] b: hmm\n       detail" in text
    assert text.endswith("OK (1 pass, 0 fail, 1 warn, 1 skip)")
    data = json.loads(report.to_json(strict=True))
    assert data["ok"] is False
    assert data["checks"][2] == {
        "name": "c",
        "status": "skip",
        "summary": "skipped: why",
        "details": [],
    }
    assert report.get("b").summary == "hmm"
    with pytest.raises(KeyError):
        report.get("z")
    report.results.append(CheckResult("d", "fail", "broken"))
    assert report.exit_code() == 1
    assert "PROBLEMS FOUND" in report.to_text()


def test_run_dogfood_selects_checks_and_refuses_unknown_names() -> None:
    report = run_dogfood(only=["middleware", "rls"])
    assert [result.name for result in report.results] == ["middleware", "rls"]
    with pytest.raises(ValueError, match="unknown check"):
        run_dogfood(skip=["nonsense"])


def test_a_check_that_raises_is_a_failure_in_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode() -> CheckResult:
        raise RuntimeError("boom")

    monkeypatch.setattr(suite, "check_levels", explode)
    report = run_dogfood(only=["levels"])
    assert report.get("levels").status == "fail"
    assert report.get("levels").summary == "the check raised RuntimeError: boom"


def test_run_dogfood_checks_a_projects_packages(make_package: object, tmp_path: Path) -> None:
    package = make_package({"service.py": "import logging\n"})  # type: ignore[operator]
    report = run_dogfood(
        packages=[package], only=["stdlib_logging", "tenant_isolation"], project_root=tmp_path
    )
    assert report.get("stdlib_logging").status == "fail"
    assert report.get("tenant_isolation").status == "pass"


@pytest.mark.urls("tests.dogfood.urls")
def test_netrun_dogfood_cli_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(dogfood, ["--json", "--project-root", str(tmp_path), *FAST])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True
    assert {check["name"] for check in data["checks"]} == {
        "stdlib_logging", "middleware", "system_checks", "round_trip", "tenant_isolation", "rls",
    }  # fmt: skip


@pytest.mark.urls("tests.dogfood.urls_plain")
def test_netrun_dogfood_cli_exits_1_on_a_failure(tmp_path: Path) -> None:
    # urls_plain has no handler404, so the round trip fails.
    result = CliRunner().invoke(dogfood, ["--project-root", str(tmp_path), *FAST])
    assert result.exit_code == 1
    assert "[FAIL] round_trip" in result.output
    assert "[SKIP] rls: skipped:" in result.output
    strict = CliRunner().invoke(
        dogfood,
        [
            "--fail-on-skip",
            "--strict",
            "--skip",
            "round_trip",
            "--project-root",
            str(tmp_path),
            *FAST,
        ],
    )
    assert strict.exit_code == 1


@pytest.mark.urls("tests.dogfood.urls")
def test_manage_py_netrun_dogfood(tmp_path: Path) -> None:
    out = StringIO()
    call_command("netrun_dogfood", "--project-root", str(tmp_path), *FAST, stdout=out)
    # SQLite: rls is the one skip.
    assert out.getvalue().rstrip().endswith("OK (5 pass, 0 fail, 0 warn, 1 skip)")
    out = StringIO()
    call_command(
        "netrun_dogfood",
        "--json",
        "--skip",
        "rls",
        "--project-root",
        str(tmp_path),
        *FAST,
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert (data["ok"], data["counts"]) == (True, {"pass": 5, "fail": 0, "warn": 0, "skip": 0})


def test_the_report_keeps_stdout_and_everything_else_goes_to_stderr() -> None:
    # The project's log handler holds the stdout it was configured with, as a 12-factor
    # project's does: only the report may reach stdout.
    code = (
        "import logging, os, sys\n"
        "from netrun.dogfood._streams import stdout_to_stderr\n"
        "handler = logging.StreamHandler(sys.stdout)\n"
        "logging.getLogger('app').addHandler(handler)\n"
        "with stdout_to_stderr():\n"
        "    logging.getLogger('app').warning('a log line')\n"
        "    print('a print')\n"
        "    os.write(1, b'a raw write\\n')\n"
        "print('the report')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout == "the report\n"
    assert done.stderr.splitlines() == ["a log line", "a print", "a raw write"]


@pytest.mark.urls("tests.dogfood.urls_plain")
def test_manage_py_netrun_dogfood_fails_for_ci(tmp_path: Path) -> None:
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("netrun_dogfood", "--project-root", str(tmp_path), *FAST, stdout=out)
    assert raised.value.returncode == 1
    assert "[FAIL] round_trip" in out.getvalue()


@pytest.mark.slow
def test_netrun_dogfood_in_a_fresh_process_without_settings() -> None:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    code = "from netrun.dogfood.cli import dogfood; dogfood()"
    done = subprocess.run(
        [sys.executable, "-c", code, "--skip", "exceptions", "--skip", "levels"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[SKIP] middleware: skipped: Django settings not configured" in done.stdout


@pytest.mark.slow
def test_netrun_dogfood_with_bad_settings_is_a_clear_error() -> None:
    code = "from netrun.dogfood.cli import dogfood; dogfood()"
    done = subprocess.run(
        [sys.executable, "-c", code, "--settings", "dogfood_no_such_settings"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "cannot load Django settings 'dogfood_no_such_settings'" in done.stderr
