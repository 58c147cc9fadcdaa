"""The wheel holds every netrun app and the compat modules, and nothing else."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from netrun.core.registry import NETRUN_APPS

ROOT = Path(__file__).resolve().parents[1]
COMPAT = sorted(p.name for p in (ROOT / "compat").glob("netrun_*.py"))


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(out)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = out.glob("netrun-2.1.0.dev0-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_wheel_contains_every_app_with_its_typing_marker(wheel_files: set[str]) -> None:
    for name in NETRUN_APPS:
        folder = name.replace(".", "/")
        assert f"{folder}/__init__.py" in wheel_files
        assert f"{folder}/apps.py" in wheel_files
        assert f"{folder}/py.typed" in wheel_files
    assert "netrun/__init__.py" not in wheel_files
    assert "netrun/rbac/migrations/0001_initial.py" in wheel_files


@pytest.mark.slow
def test_wheel_installs_the_compat_modules_at_top_level(wheel_files: set[str]) -> None:
    assert len(COMPAT) == 11  # netrun_llm joined in 2.1
    for module in COMPAT:
        assert module in wheel_files
    assert not any(name.startswith("compat/") for name in wheel_files)


@pytest.mark.slow
def test_wheel_holds_no_tests_or_example_project(wheel_files: set[str]) -> None:
    top_level = {name.split("/")[0] for name in wheel_files}
    assert top_level == {"netrun", "netrun-2.1.0.dev0.dist-info", *COMPAT}


@pytest.mark.slow
def test_wheel_metadata_declares_the_entry_points_and_extras(wheel_files: set[str]) -> None:
    assert "netrun-2.1.0.dev0.dist-info/entry_points.txt" in wheel_files
    import importlib.metadata

    extras = set(importlib.metadata.metadata("netrun").get_all("Provides-Extra") or [])
    expected = {
        "openai", "anthropic", "casbin", "azure", "llm", "rbac", "postgres", "redis",
        "celery", "drf", "cors", "ratelimit", "oauth", "fastapi", "otel", "prometheus", "all",
    }  # fmt: skip
    assert expected <= extras
    entry_points = importlib.metadata.entry_points()
    assert [ep.value for ep in entry_points.select(group="pytest11", name="netrun")] == [
        "netrun.pytest_fixtures.plugin"
    ]
    assert [ep.value for ep in entry_points.select(group="console_scripts", name="netrun")] == [
        "netrun.core.cli:main"
    ]
