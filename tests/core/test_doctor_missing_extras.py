"""A base install (``pip install netrun``) with getting-started's apps: the doctor is green.

The extras' packages are hidden from a subprocess (a meta-path finder, the way an
uninstalled package looks), so netrun.auth and netrun.oauth cannot import: that is
information ("not installed", with the extra to install) while neither app is in
``INSTALLED_APPS``, and a failure naming the extra once one is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netrun.core.deps import extra_for

ROOT = Path(__file__).resolve().parents[2]

#: What ``pip install netrun`` does not bring: the extras' import names.
NOT_IN_BASE = (
    "jwt", "cryptography", "rest_framework", "rest_framework_simplejwt", "authlib", "joserfc",
    "httpx", "corsheaders", "django_ratelimit", "redis", "guardian", "psycopg", "psycopg_pool",
    "celery", "openai", "anthropic", "casbin", "azure", "fastapi", "drf_spectacular",
    "opentelemetry", "prometheus_client", "genai_prices",
)  # fmt: skip

RUN_HIDDEN = """
import sys
HIDDEN = set(sys.argv[1].split(","))
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Hide())
sys.argv = sys.argv[2:]
if sys.argv[0] == "manage.py":
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
else:
    from netrun.core.cli import main
    main()
"""

SETTINGS = """
SECRET_KEY = "not-secret"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "netrun.core",
    "netrun.errors",
    "netrun.logging",
    "netrun.rbac",
    "netrun.llm",
    "netrun.dogfood",
] + EXTRA_APPS
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "base_urls"
USE_TZ = True
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "base_urls.py").write_text("urlpatterns = []\n", encoding="utf-8")
    (tmp_path / "base_settings.py").write_text("EXTRA_APPS = []\n" + SETTINGS, encoding="utf-8")
    (tmp_path / "oauth_settings.py").write_text(
        'EXTRA_APPS = ["netrun.oauth"]\n' + SETTINGS, encoding="utf-8"
    )
    return tmp_path


def _run(project: Path, *argv: str, settings: str | None = "base_settings") -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in {"COVERAGE_PROCESS_START", "DJANGO_SETTINGS_MODULE"}}  # fmt: skip
    if settings:
        env["DJANGO_SETTINGS_MODULE"] = settings
    return subprocess.run(
        [sys.executable, "-c", RUN_HIDDEN, ",".join(NOT_IN_BASE), *argv],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _package(report: dict[str, object], name: str) -> dict[str, object]:
    packages = report["packages"]
    assert isinstance(packages, list)
    return next(package for package in packages if package["name"] == name)


def test_apps_whose_extra_is_missing_are_information_not_problems(project: Path) -> None:
    result = _run(project, "manage.py", "netrun_doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'netrun.auth              not installed (pip install "netrun[auth]")' in result.stdout
    assert 'netrun.oauth             not installed (pip install "netrun[oauth]")' in result.stdout
    assert "IMPORT FAILED" not in result.stdout
    assert result.stdout.rstrip().endswith("OK")

    report = json.loads(_run(project, "manage.py", "netrun_doctor", "--json").stdout)
    assert report["ok"] is True
    auth = _package(report, "netrun.auth")
    assert auth | {"importable": False, "installed": False, "missing_dependency": "jwt", "extra": "auth", "problem": False} == auth  # fmt: skip
    assert _package(report, "netrun.oauth")["extra"] == "oauth"
    assert _package(report, "netrun.rbac")["problem"] is False


def test_the_console_script_without_settings_is_green_on_a_base_install(project: Path) -> None:
    result = _run(project, "netrun", "doctor", "--json", settings=None)
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert report["django"] is None
    assert report["ok"] is True
    auth = _package(report, "netrun.auth")
    assert auth | {"installed": None, "extra": "auth", "problem": False} == auth


def test_an_installed_app_whose_extra_is_missing_is_a_problem_naming_the_extra(
    project: Path,
) -> None:
    result = _run(project, "netrun", "doctor", "--settings", "oauth_settings")
    assert result.returncode == 1
    assert "No module named 'httpx'" in result.stderr
    assert 'netrun.oauth is in INSTALLED_APPS and needs it: pip install "netrun[oauth]"' in result.stderr  # fmt: skip


def test_a_package_row_in_installed_apps_that_cannot_import_is_a_problem(
    hide_modules: object,
) -> None:
    from netrun.core._doctor import _package_row, render_text

    # A dotted name nothing installs stands for an app the project names but cannot import.
    row = _package_row(
        "netrun_probe_not_installed_anywhere", {"netrun_probe_not_installed_anywhere"}
    )
    assert row["problem"] is True
    assert row["missing_dependency"] == "netrun_probe_not_installed_anywhere"
    text = render_text(
        {
            "netrun_version": "x",
            "python": "3",
            "ok": False,
            "packages": [row],
            "optional_dependencies": [],
            "django": None,
            "checks": [],
        }
    )
    assert "IMPORT FAILED" in text
    assert "in INSTALLED_APPS, needs pip install netrun_probe_not_installed_anywhere" in text
    assert _package_row("netrun_probe_not_installed_anywhere", set())["problem"] is False


def test_extra_for_prefers_the_package_own_extra() -> None:
    assert extra_for("httpx", package="netrun.oauth") == "oauth"
    assert extra_for("httpx", package="netrun.llm") == "llm"
    assert extra_for("cryptography", package="netrun.auth") == "auth"
    assert extra_for("rest_framework", package="netrun.rbac") == "drf"
    assert extra_for("factory", package="netrun.pytest_fixtures") == "pytest"
    assert extra_for("no_such_module") is None


def test_dogfood_says_which_extra_a_module_that_did_not_import_needs(project: Path) -> None:
    probe = "from netrun.dogfood import run_dogfood\nprint(run_dogfood(only=['exceptions']).to_text())\n"
    (project / "probe.py").write_text("import django\ndjango.setup()\n" + probe, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "COVERAGE_PROCESS_START"}
    env["DJANGO_SETTINGS_MODULE"] = "base_settings"
    hide = RUN_HIDDEN.replace(
        'if sys.argv[0] == "manage.py":', 'if sys.argv[0] == "probe.py":\n    exec(open("probe.py").read())\nelif sys.argv[0] == "manage.py":'
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", hide, ",".join(NOT_IN_BASE), "probe.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'not installed (its exceptions are not checked): netrun.auth needs jwt: pip install "netrun[auth]"' in out  # fmt: skip
    assert 'netrun.oauth needs httpx: pip install "netrun[oauth]"' in out
    assert "not imported (its exceptions are not checked): netrun.auth" not in out
    assert "[FAIL] exceptions" not in out, out
