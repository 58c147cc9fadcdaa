"""The one way a test asks for an optional package or a service.

On a developer's machine a missing package or server skips the test with a reason that says
what to install or start. Under ``CI=true`` it is a failure: CI installs every extra and starts
every service, so a skip there would hide a whole part of the suite behind a green run.

A module whose imports need an optional package keeps ``pytest.importorskip`` at its top (the
form linters accept before imports); everywhere else, use ``require_module``.
``tests/conftest.py`` adds the safety net: under ``CI=true`` any skip that does not come
through here (a stray ``pytest.skip`` or ``importorskip``) is turned into a failure too, and the
run ends with the count of skips.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest

__all__ = ["in_ci", "require_module", "unavailable"]


def in_ci() -> bool:
    """True when the run is CI's (``CI=true``), where nothing may be skipped."""
    return os.environ.get("CI", "").lower() == "true"


def unavailable(what: str, reason: str) -> NoReturn:
    """Skip locally, fail under CI, saying what is missing and why."""
    message = f"{what} is not available ({reason})"
    if in_ci():
        pytest.fail(f"{message}; CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


def require_module(name: str, install: str = "pip install -e '.[all]' --group dev") -> ModuleType:
    """Import ``name`` or report it unavailable (``install`` says how to get it)."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        unavailable(f"the {name!r} module", f"{error}; install it with: {install}")


# ---------------------------------------------------------------- the safety net (hooks)
# tests/conftest.py imports these, so pytest registers them; a test that runs pytest in a
# subprocess loads them with ``-p tests._require``.


def _as_failure(report: pytest.CollectReport | pytest.TestReport) -> None:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true, which is a failure: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        _as_failure(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> object:
    report = yield
    if in_ci() and report.skipped:
        _as_failure(report)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests were skipped: under CI the number must be 0."""
    skipped = len(terminalreporter.stats.get("skipped", []))
    terminalreporter.write_line(f"netrun: {skipped} skipped (CI={os.environ.get('CI', '')})")
