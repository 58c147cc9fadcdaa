"""Every netrun package imports before ``django.setup()``, and the cores without Django at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from netrun.core.registry import NETRUN_APPS
from tools.import_contracts import framework_neutral_modules

ROOT = Path(__file__).resolve().parents[1]

# Cores must not import a web framework or task queue: make them unimportable, then import.
BLOCKED = ("django", "django_ratelimit", "rest_framework", "celery", "fastapi", "starlette")
WITHOUT_FRAMEWORKS = f"""
import sys, importlib.abc
BLOCKED = {BLOCKED!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)")
        return None
sys.meta_path.insert(0, Block())
import importlib
for module in sys.argv[1:]:
    importlib.import_module(module)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
assert not leaked, leaked
print("ok")
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}


def test_every_package_imports_without_django_settings() -> None:
    code = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]: importlib.import_module(name)\n"
        "from django.apps import apps\n"
        "assert not apps.ready\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *NETRUN_APPS],
        capture_output=True, text=True, env=_env(), cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_seeds_import_line_works_without_settings() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import netrun.core, netrun.llm; print(netrun.core.__version__)"],
        capture_output=True, text=True, env=_env(), cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.1.0.dev0"


def _framework_neutral_modules() -> list[str]:
    """The cores of the import-linter contract, derived from the source tree as it derives them."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 (tomli is in the test dependency group there)
        import tomli as tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "framework_neutral"]
    assert set(contract["forbidden_modules"]) == set(BLOCKED)
    return framework_neutral_modules(
        config["root_packages"], contract["glue"], contract.get("glue_modules", [])
    )


def test_cores_import_without_django_or_any_framework_installed() -> None:
    cores = _framework_neutral_modules()
    assert "netrun.core.context" in cores
    assert len(cores) > 100
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_FRAMEWORKS, *cores],
        capture_output=True, text=True, env=_env(), cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_blocker_really_blocks_django() -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_FRAMEWORKS, "netrun.core.views"],
        capture_output=True, text=True, env=_env(), cwd=ROOT,
    )  # fmt: skip
    assert result.returncode != 0
    assert "blocked by the test" in result.stderr
