"""A fresh ``startproject`` with the printed settings block: migrate, doctor and dogfood pass.

Three selections, each in a project of its own made by the venv's ``django-admin``: the
common stack (getting-started's block), the apps a base install (``pip install netrun``, no
extra) supports, run with every extra's modules made unimportable, and every app, on a fresh
PostgreSQL database (``db_pool`` reads ``DATABASES`` from ``DB_URL``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from netrun.core.cli import main

BIN = Path(sys.executable).parent

#: The top-level modules the extras install: hidden from the base install's project.
EXTRA_MODULES = (
    "anthropic", "authlib", "azure", "casbin", "celery", "corsheaders", "cryptography",
    "django_ratelimit", "drf_spectacular", "drf_spectacular_sidecar", "fastapi", "genai_prices",
    "guardian", "httpx", "joserfc", "jwt", "openai", "opentelemetry", "prometheus_client",
    "psycopg", "psycopg_pool", "redis", "rest_framework", "rest_framework_simplejwt", "starlette",
)  # fmt: skip

#: Runs manage.py with the extras' modules unimportable, as on a base install.
BASE_INSTALL_LAUNCHER = """\
import runpy
import sys

HIDDEN = frozenset(sys.argv[1].split(","))


class Hide:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, Hide())
sys.argv = ["manage.py", *sys.argv[2:]]
sys.path[0] = "."
runpy.run_path("manage.py", run_name="__main__")
"""

#: The apps that import and work without any extra.
BASE_APPS = "core,errors,logging,config,env,rbac,llm,dogfood"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DB_"))}
    env.pop("PYTHONPATH", None)  # the project imports netrun as an installed package
    return {**env, **extra}


def _start_project(tmp_path: Path, apps: str | None, *, separate: bool = False) -> Path:
    subprocess.run(
        [str(BIN / "django-admin"), "startproject", "mysite"],
        cwd=tmp_path, env=_env(), check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    project = tmp_path / "mysite"
    settings = project / "mysite" / "settings.py"
    selection = ["--apps", apps] if apps else []
    if separate:
        # `netrun init --write` creates netrun_settings.py, imported at the end of settings.py;
        # stdout is the urls.py to use.
        written = CliRunner().invoke(
            main, ["init", *selection, "--write", str(project / "mysite" / "netrun_settings.py")]
        )
        assert written.exit_code == 0, written.output
        urls_part = written.stdout.removeprefix("Then make urls.py:\n")
        with settings.open("a", encoding="utf-8") as file:
            file.write("\nfrom .netrun_settings import *  # noqa: F403\n")
    else:
        # What a user does: run `netrun init`, paste the block at the end of settings.py and
        # the urls.py over startproject's.
        printed = CliRunner().invoke(main, ["init", *selection])
        assert printed.exit_code == 0, printed.output
        settings_part, _, urls_part = printed.output.partition("\n# urls.py\n")
        settings.write_text(
            settings.read_text(encoding="utf-8")
            + "\n"
            + settings_part.removeprefix("# settings.py\n"),
            encoding="utf-8",
        )
    (project / "mysite" / "urls.py").write_text(urls_part, encoding="utf-8")
    return project


def _manage(
    project: Path, *args: str, env: dict[str, str], hidden: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    if hidden:
        launcher = project / "base_install.py"
        launcher.write_text(BASE_INSTALL_LAUNCHER, encoding="utf-8")
        command = [sys.executable, str(launcher), ",".join(hidden), *args]
    else:
        command = [sys.executable, "manage.py", *args]
    result = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, (
        f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def _migrate_doctor_dogfood(
    project: Path, env: dict[str, str], hidden: tuple[str, ...] = ()
) -> tuple[str, str]:
    _manage(project, "migrate", "--no-input", env=env, hidden=hidden)
    doctor = _manage(project, "netrun_doctor", env=env, hidden=hidden).stdout
    assert doctor.rstrip().endswith("OK")
    assert "settings: mysite.settings" in doctor
    dogfood = _manage(project, "netrun_dogfood", env=env, hidden=hidden).stdout
    assert "[FAIL]" not in dogfood
    assert "[PASS] middleware" in dogfood
    assert "[PASS] round_trip" in dogfood
    return doctor, dogfood


#: Runs in the project: the health endpoint, an API-style 404, and the spend dashboard.
PAGES_PROBE = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
admin = get_user_model().objects.create_superuser("root", "root@example.com", "x-unused-1")
client = Client()
anonymous = client.get("/admin/netrun_llm/dashboard/", HTTP_HOST="localhost")
client.force_login(admin)
dashboard = client.get("/admin/netrun_llm/dashboard/", HTTP_HOST="localhost")
missing = client.get("/nope/", HTTP_HOST="localhost", HTTP_ACCEPT="application/json")
health = client.get("/health/", HTTP_HOST="localhost")
print(json.dumps({"dashboard": [anonymous.status_code, dashboard.status_code],
                  "missing": [missing.status_code, missing["Content-Type"]],
                  "health": health.status_code}))
"""


@pytest.mark.slow
def test_the_common_stack_block_passes_doctor_and_dogfood(tmp_path: Path) -> None:
    project = _start_project(tmp_path, None)
    doctor, dogfood = _migrate_doctor_dogfood(project, _env())
    for app in ("netrun.rbac", "netrun.llm", "netrun.dogfood"):
        assert f"{app:<24} in INSTALLED_APPS" in doctor
    assert "System checks\n  no issues" in doctor
    assert "[PASS] system_checks: no issues" in dogfood
    # The routes the block promises: the dashboard (staff only), health, JSON errors.
    output = _manage(project, "shell", "-c", PAGES_PROBE, env=_env()).stdout
    pages = json.loads(output.strip().splitlines()[-1])
    assert pages["dashboard"] == [302, 200]
    assert pages["health"] == 200
    assert pages["missing"][0] == 404
    assert "json" in pages["missing"][1]


@pytest.mark.slow
def test_a_base_install_block_passes_without_any_extra(tmp_path: Path) -> None:
    # Written by `netrun init --write` into a module of its own this time.
    project = _start_project(tmp_path, BASE_APPS, separate=True)
    doctor, dogfood = _migrate_doctor_dogfood(project, _env(), hidden=EXTRA_MODULES)
    # The extras really are missing in that project, and that is information, not failure.
    assert "[ ] djangorestframework" in doctor
    assert "[ ] psycopg " in doctor
    assert "System checks\n  no issues" in doctor
    assert "[PASS] system_checks: no issues" in dogfood


@pytest.mark.slow
def test_every_app_on_postgresql_passes_doctor_and_dogfood(
    tmp_path: Path, postgres_dsn: str
) -> None:
    project = _start_project(tmp_path, "all")
    env = _env(DB_URL=postgres_dsn)
    doctor, dogfood = _migrate_doctor_dogfood(project, env)
    assert "System checks\n  no issues" in doctor
    assert "[PASS] system_checks: no issues" in dogfood
    # The project really ran on that database: its tables are there.
    import psycopg

    with psycopg.connect(postgres_dsn) as conn:
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables")}
    assert {"netrun_rbac_tenant", "django_migrations"} <= tables
    assert "netrun.db_pool" in doctor
    assert "netrun.oauth" in doctor


@pytest.mark.slow
def test_manage_py_netrun_init_write_refuses_the_projects_settings_twice(tmp_path: Path) -> None:
    project = _start_project(tmp_path, None)
    again = subprocess.run(
        [sys.executable, "manage.py", "netrun_init", "--write"],
        cwd=project, env=_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert again.returncode == 1
    assert "mysite/settings.py already has a netrun settings block" in again.stderr
