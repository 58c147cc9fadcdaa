"""Under ``CI=true`` nothing passes by skipping: the proof for ``tests/_require.py``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests._require import require_module

ROOT = Path(__file__).resolve().parent.parent

SKIPPING_TESTS = """
import pytest
from tests._require import require_module

def test_needs_a_missing_module():
    require_module("netrun_there_is_no_such_module")

def test_skips_by_hand():
    pytest.skip("a stray skip")

@pytest.mark.xfail(reason="an expected failure is not a skip", strict=True)
def test_expected_failure():
    assert False

def test_passes():
    assert True
"""

SKIPPING_MODULE = """
import pytest
pytest.importorskip("netrun_there_is_no_such_module")

def test_never_collected():
    assert True
"""


def _run(tmp_path: Path, source: str, ci: str) -> subprocess.CompletedProcess[str]:
    test_file = tmp_path / "test_skipping.py"
    test_file.write_text(source)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests._require",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:django",
            "-q",
            "--rootdir",
            str(tmp_path),
            str(test_file),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_skips_fail_the_run_under_ci(tmp_path: Path) -> None:
    result = _run(tmp_path, SKIPPING_TESTS, ci="true")
    assert result.returncode == 1, result.stdout
    assert "2 failed, 1 passed, 1 xfailed" in result.stdout
    assert "netrun_there_is_no_such_module" in result.stdout
    assert "CI=true, so this is a failure" in result.stdout
    assert "skipped under CI=true, which is a failure: a stray skip" in result.stdout


def test_skips_are_skips_on_a_developer_machine_and_are_counted(tmp_path: Path) -> None:
    result = _run(tmp_path, SKIPPING_TESTS, ci="")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped, 1 xfailed" in result.stdout
    assert "netrun: 2 skipped" in result.stdout


def test_a_module_level_importorskip_fails_collection_under_ci(tmp_path: Path) -> None:
    result = _run(tmp_path, SKIPPING_MODULE, ci="true")
    assert result.returncode != 0, result.stdout
    assert "skipped under CI=true, which is a failure" in result.stdout
    assert "1 error" in result.stdout


def test_an_unimportable_psycopg_or_redis_fails_under_ci(
    hide_modules: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_modules("psycopg", "redis")
    monkeypatch.setenv("CI", "true")
    for name in ("psycopg", "redis"):
        with pytest.raises(pytest.fail.Exception, match=f"the '{name}' module"):
            require_module(name)
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="install it with"):
        require_module("psycopg")
