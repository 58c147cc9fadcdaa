"""``netrun dogfood`` against the example project, in a subprocess as CI runs it.

The example project runs as a developer starts it (DEBUG on, logging to stdout), on a fresh
SQLite database migrated first; its environment is cleaned as tests/example does, since its
settings are read from the environment once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from netrun.dogfood import CHECKS

ROOT = Path(__file__).resolve().parents[2]
NETRUN = Path(sys.executable).with_name("netrun")


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APP_"))}
    for name in ("DATABASE_URL", "CACHE_URL", "REDIS_URL", "PYTHONPATH"):
        base.pop(name, None)
    return {**base, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **extra}


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def example_env(tmp_path: Path) -> dict[str, str]:
    env = _environment(tmp_path)
    migrated = _run(sys.executable, "manage.py", "migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def _report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    # The example project logs to stdout: the report must still be the whole of it.
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.mark.slow
def test_netrun_dogfood_is_clean_on_the_example_project(example_env: dict[str, str]) -> None:
    assert NETRUN.is_file(), f"the netrun console script is not installed at {NETRUN}"
    done = _run(
        str(NETRUN), "dogfood", "--settings", "example_project.settings", "--json", env=example_env
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    report = _report(done)
    statuses = {check["name"]: check["status"] for check in report["checks"]}
    assert [check["name"] for check in report["checks"]] == list(CHECKS)
    # SQLite has no row-level security: the one check that cannot run here says so.
    assert statuses == {**dict.fromkeys(CHECKS, "pass"), "rls": "skip"}, report
    rls = report["checks"][CHECKS.index("rls")]
    assert rls["summary"] == "skipped: the 'default' database is sqlite; RLS needs PostgreSQL"
    assert report["ok"] is True
    # The project's code is scanned, not the repository's tests or netrun itself.
    isolation = report["checks"][CHECKS.index("tenant_isolation")]
    assert isolation["summary"].startswith(f"no escape path in example_project in {ROOT}")


@pytest.mark.slow
def test_manage_py_netrun_dogfood_is_clean_on_the_example_project(
    example_env: dict[str, str],
) -> None:
    done = _run(sys.executable, "manage.py", "netrun_dogfood", env=example_env)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert done.stdout.startswith("Netrun dogfood\n\n[PASS] exceptions: ")
    assert done.stdout.rstrip().endswith(f"OK ({len(CHECKS) - 1} pass, 0 fail, 0 warn, 1 skip)")
    assert "[PASS] round_trip: 404 envelope" in done.stdout


WRONG_ORDER = """
    from example_project.settings import *

    # CorrelationIdMiddleware moved last: the middleware before it log without the ID.
    _CORRELATION = "netrun.logging.middleware.CorrelationIdMiddleware"
    MIDDLEWARE = [m for m in MIDDLEWARE if m != _CORRELATION] + [_CORRELATION]
"""


@pytest.mark.slow
def test_netrun_dogfood_fails_by_name_when_a_contract_is_broken(tmp_path: Path) -> None:
    settings_dir = tmp_path / "settings"
    settings_dir.mkdir()
    (settings_dir / "dogfood_wrong_order.py").write_text(textwrap.dedent(WRONG_ORDER))
    env = _environment(tmp_path, PYTHONPATH=str(settings_dir))
    migrated = _run(sys.executable, "manage.py", "migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    suite_checks = ("exceptions", "stdlib_logging", "levels", "soft_dependencies")
    skips = [arg for name in suite_checks for arg in ("--skip", name)]
    done = _run(
        str(NETRUN), "dogfood", "--settings", "dogfood_wrong_order", "--json", *skips, env=env
    )
    assert done.returncode == 1, done.stdout + done.stderr[-3000:]
    report = _report(done)
    assert report["ok"] is False
    failed = {check["name"]: check for check in report["checks"] if check["status"] == "fail"}
    assert list(failed) == ["middleware"], report
    assert any(
        "CorrelationIdMiddleware is at position 12; it must be first" in detail
        for detail in failed["middleware"]["details"]
    )
