"""Netrun dogfood.

The suite checking itself and a user's project against the integration contracts:
``netrun dogfood`` and ``manage.py netrun_dogfood``, or from Python::

    from netrun.dogfood import run_dogfood

    report = run_dogfood(packages=["helpdesk"])
    print(report.to_text())
    raise SystemExit(report.exit_code())

This module imports without Django settings configured; the project checks import Django
when they run, and skip (saying so) when settings are not configured.
"""

from __future__ import annotations

from netrun.dogfood._report import CheckResult, Report
from netrun.dogfood._runner import CHECKS, PROJECT_CHECKS, SUITE_CHECKS, run_dogfood

__all__ = ["CHECKS", "PROJECT_CHECKS", "SUITE_CHECKS", "CheckResult", "Report", "run_dogfood"]
