"""``make run PORT=...``: the example is served on the port asked for, 8000 by default.

``make -n`` prints the recipe without running it (no migrate, no server).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _dry_run(*args: str, word: str = "runserver") -> list[str]:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed")
    env = {k: v for k, v in os.environ.items() if k != "PORT"}
    result = subprocess.run(
        [make, "-n", "run", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return [line for line in result.stdout.splitlines() if word in line]


def test_make_run_takes_the_port() -> None:
    assert _dry_run("PORT=8123") == [".venv/bin/python manage.py runserver 127.0.0.1:8123"]


def test_make_run_keeps_port_8000_by_default() -> None:
    assert _dry_run() == [".venv/bin/python manage.py runserver 127.0.0.1:8000"]


def test_the_seeded_logins_name_the_port_served() -> None:
    assert _dry_run("PORT=8123", word="seed_demo") == [
        ".venv/bin/python manage.py seed_demo --port 8123"
    ]
