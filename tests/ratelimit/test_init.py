"""The public API imports without Django, and the cores never pull in a framework."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import netrun.ratelimit

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"django", "rest_framework", "celery", "fastapi", "starlette"}:
            raise ModuleNotFoundError(name)
        return None
sys.meta_path.insert(0, Block())
from netrun.ratelimit import RateLimiter, MemoryBackend, RedisBackend
import netrun.ratelimit.conf
assert RateLimiter("2/s", MemoryBackend()).hit("k").allowed
print("ok")
"""


def test_all_names_exist() -> None:
    for name in netrun.ratelimit.__all__:
        assert hasattr(netrun.ratelimit, name), name


def test_core_and_settings_import_with_every_framework_blocked() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_reset_backends_forgets_the_built_backends() -> None:
    from netrun.ratelimit.conf import get_backend, reset_backends

    first = get_backend()
    assert get_backend() is first
    reset_backends()
    assert get_backend() is not first
