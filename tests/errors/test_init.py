"""The package root: its public API, and that it imports without Django."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import netrun.errors

ROOT = Path(__file__).resolve().parents[2]


def test_all_names_exist() -> None:
    missing = [name for name in netrun.errors.__all__ if not hasattr(netrun.errors, name)]
    assert missing == []
    assert sorted(netrun.errors.__all__, key=str.lower) == sorted(
        set(netrun.errors.__all__), key=str.lower
    )


def test_imports_without_django_settings_or_django_itself() -> None:
    code = (
        "import sys\n"
        "import netrun.errors, netrun.errors.exceptions, netrun.errors.rendering\n"
        "import netrun.errors.hooks, netrun.errors.conf\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.startswith('django'))\n"
        "print(netrun.errors.render_error(netrun.errors.ConflictError()).status)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("409")


def test_glue_modules_import_before_django_is_set_up() -> None:
    code = (
        "import netrun.errors.drf, netrun.errors.contrib.fastapi\n"
        "import netrun.errors.conf\n"
        "from netrun.errors.conf import conf\n"
        "assert conf.problem_json is False\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
