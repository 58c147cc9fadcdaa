"""The built wheel ships the shims: seed paths import from an installed wheel, not the tree."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from netrun.core._deprecation import SHIMS

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
import warnings
warnings.simplefilter("error", DeprecationWarning)
import netrun.core._deprecation as machinery
assert "{site}" in machinery.__file__, machinery.__file__
failures = 0
for path in ["netrun_llm.config", "netrun_cors.middleware", "netrun_env.validator",
             "netrun_db_pool.pool", "netrun_errors.base", "netrun_auth.exceptions"]:
    try:
        __import__(path)
    except DeprecationWarning as warning:
        failures += 1
        assert path.split(".")[0] in str(warning), warning
print(failures)
"""


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(out)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = out.glob("netrun-*.whl")
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)  # a pure wheel installs by unpacking
    return wheel, site


@pytest.mark.slow
def test_wheel_holds_every_shim_at_top_level(installed_wheel: tuple[Path, Path]) -> None:
    wheel, _ = installed_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    for old in SHIMS:
        assert f"{old}.py" in names
    assert "netrun/core/_deprecation.py" in names


@pytest.mark.slow
def test_seed_paths_import_from_the_installed_wheel(
    installed_wheel: tuple[Path, Path], tmp_path: Path
) -> None:
    _, site = installed_wheel
    script = tmp_path / "seed_imports.py"
    script.write_text(SCRIPT.format(site=site), encoding="utf-8")
    # The wheel's folder replaces the work tree (and its compat/ folder) on the path.
    # Without coverage's variables: measuring the unpacked wheel would report its copy of
    # netrun/ as a second, barely covered package.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env.update(PYTHONPATH=str(site), PYTHONSAFEPATH="1")
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); "
         f"exec(open({str(script)!r}).read())"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "6"  # each old path raised under -W error


@pytest.mark.slow
def test_pytest_extra_brings_what_the_seed_fixtures_need(
    installed_wheel: tuple[Path, Path],
) -> None:
    wheel, _ = installed_wheel
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    requires = metadata.get_all("Requires-Dist") or []
    pytest_extra = [r.split(";")[0].strip() for r in requires if "extra == 'pytest'" in r]
    assert "pytest" in (metadata.get_all("Provides-Extra") or [])
    for needed in ("pytest-asyncio", "pytest-django", "pyjwt[crypto]", "factory-boy"):
        assert any(r.startswith(needed) for r in pytest_extra), (needed, pytest_extra)
