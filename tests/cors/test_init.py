"""The public API, and a core that imports no web framework."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import netrun.cors

ROOT = Path(__file__).resolve().parents[2]

BLOCK_FRAMEWORKS = """
import importlib, importlib.abc, sys
BLOCKED = ("django", "rest_framework", "celery", "fastapi", "starlette", "corsheaders")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(name)
        return None
sys.meta_path.insert(0, Block())
import netrun.cors
from netrun.cors import build_policy, PolicySpec
policy = build_policy(PolicySpec(origins=("https://a.example.com",)))
assert policy.decide("https://a.example.com").allowed
assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED]
print("ok")
"""


def test_all_names_exist() -> None:
    for name in netrun.cors.__all__:
        assert hasattr(netrun.cors, name), name


def test_the_package_and_its_core_import_without_any_web_framework() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_FRAMEWORKS], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
