"""Run the dogfood checks and collect the report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from pathlib import Path

from netrun.dogfood import project, suite
from netrun.dogfood._report import CheckResult, Report

__all__ = ["CHECKS", "PROJECT_CHECKS", "SUITE_CHECKS", "run_dogfood"]

SUITE_CHECKS = ("exceptions", "stdlib_logging", "levels", "soft_dependencies", "tenant_escapes")
PROJECT_CHECKS = ("middleware", "system_checks", "round_trip", "tenant_isolation", "rls")
CHECKS = SUITE_CHECKS + PROJECT_CHECKS


def run_dogfood(
    *,
    packages: Sequence[str] = (),
    project_root: Path | str | None = None,
    skip: Iterable[str] = (),
    only: Iterable[str] = (),
) -> Report:
    """Run the checks in order; ``packages`` adds a project's packages to the code checks.

    A check that raises is reported as a failure naming the error, never as a crash, so CI
    always gets the whole report.
    """
    skipped, chosen = set(skip), set(only)
    unknown = (skipped | chosen) - set(CHECKS)
    if unknown:
        raise ValueError(
            f"unknown check(s): {', '.join(sorted(unknown))}; known: {', '.join(CHECKS)}"
        )
    extra_roots = [root for package in packages for root in suite.source_roots(package)]
    runners: dict[str, Callable[[], CheckResult]] = {
        "exceptions": lambda: suite.check_exceptions(tuple(packages)),
        "stdlib_logging": lambda: suite.check_stdlib_logging(
            [*suite.source_roots("netrun"), *extra_roots]
        ),
        "levels": suite.check_levels,
        "soft_dependencies": suite.check_soft_dependencies,
        "tenant_escapes": suite.check_tenant_escapes,
        "middleware": project.check_middleware,
        "system_checks": project.check_system_checks,
        "round_trip": project.check_round_trip,
        "tenant_isolation": lambda: project.check_tenant_isolation(project_root),
        "rls": project.check_rls,
    }
    report = Report()
    for name in CHECKS:
        if name in skipped or (chosen and name not in chosen):
            continue
        # The suite checks import every netrun module; what that registers is not the project's.
        guard = project.preserved_system_checks() if name in SUITE_CHECKS else nullcontext()
        try:
            with guard:
                result = runners[name]()
        except Exception as error:
            result = CheckResult(name, "fail", f"the check raised {type(error).__name__}: {error}")
        report.results.append(result)
    return report
