"""On every supported Python, old imports warn from their own line and fail under ``-W error``.

The attribution once broke on 3.12/3.13 (the import system's frames changed): each
interpreter found on this machine (pyenv's 3.10-3.13 besides the running one) runs a script
in a subprocess, with only netrun's source on ``PYTHONPATH``.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
import netrun_errors
from netrun_errors.base import NetrunException
from netrun_errors import ValidationError

def later():
    from netrun_errors import ValidationError
    return ValidationError

later()
later()
import netrun.errors
assert later() is netrun.errors.ValidationError
assert NetrunException is netrun.errors.NetrunException
print("imported")
"""


def _interpreters() -> list[str]:
    found = {os.path.realpath(sys.executable): sys.executable}
    home = Path.home() / ".pyenv" / "versions"
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        for path in sorted(glob.glob(str(home / f"{minor}.*" / "bin" / "python"))):
            found.setdefault(os.path.realpath(path), path)
    return sorted(found.values())


def _run(python: str, script: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "compat")])}
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [python, *flags, str(script)], capture_output=True, text=True, env=env, timeout=120,
        check=False, cwd=script.parent,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("python", _interpreters())
def test_each_old_import_warns_from_its_line(python: str, tmp_path: Path) -> None:
    script = tmp_path / "uses_old_paths.py"
    script.write_text(SCRIPT, encoding="utf-8")
    result = _run(python, script, "-W", "default::DeprecationWarning")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"
    located = [
        line.split(": DeprecationWarning: ", 1)
        for line in result.stderr.splitlines()
        if ": DeprecationWarning: " in line
    ]
    where = [(place, message.split(" ")[0]) for place, message in located]
    name = str(script)
    assert where == [
        (f"{name}:1", "netrun_errors"),
        (f"{name}:2", "netrun_errors.base"),
        (f"{name}:3", "netrun_errors"),
        (f"{name}:6", "netrun_errors"),  # once, though later() runs three times
    ]


@pytest.mark.slow
@pytest.mark.parametrize("python", _interpreters())
def test_error_filter_stops_at_every_old_import(python: str, tmp_path: Path) -> None:
    script = tmp_path / "strict.py"
    script.write_text(SCRIPT, encoding="utf-8")
    first = _run(python, script, "-W", "error::DeprecationWarning")
    assert first.returncode == 1
    assert f'File "{script}", line 1' in first.stderr
    assert "DeprecationWarning: netrun_errors is deprecated" in first.stderr
    # With the first line fixed, the next old import is the one reported.
    script.write_text(SCRIPT.replace("import netrun_errors\n", "import netrun.errors\n", 1))
    second = _run(python, script, "-W", "error::DeprecationWarning")
    assert second.returncode == 1
    assert f'File "{script}", line 2' in second.stderr
    assert "DeprecationWarning: netrun_errors is deprecated" in second.stderr
    assert "missing a __spec__.loader" not in second.stderr
