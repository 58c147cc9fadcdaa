"""``netrun dogfood``: the click command the ``netrun`` console script registers lazily."""

from __future__ import annotations

import os
import sys

import click

from netrun.core.cli import project_options, setup_django
from netrun.dogfood._runner import CHECKS
from netrun.dogfood._streams import stdout_to_stderr

__all__ = ["dogfood"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@project_options
@click.option(
    "--package",
    "packages",
    multiple=True,
    metavar="NAME",
    help="A package of the project whose exceptions and logging are checked too (repeatable).",
)
@click.option(
    "--project-root",
    type=click.Path(file_okay=False, exists=True),
    help="Folder the tenant escape scanner reads (default: the project's own packages).",
)
@click.option("--skip", multiple=True, type=click.Choice(CHECKS), help="Leave a check out.")
@click.option("--strict", is_flag=True, help="Warnings fail too.")
@click.option("--fail-on-skip", is_flag=True, help="Skipped checks fail too.")
def dogfood(
    as_json: bool,
    settings: str | None,
    pythonpath: str,
    packages: tuple[str, ...],
    project_root: str | None,
    skip: tuple[str, ...],
    strict: bool,
    fail_on_skip: bool,
) -> None:
    """Check the suite (and a project, with --settings) against Netrun's contracts.

    Exits with status 1 when a check fails (or warns with --strict, or is skipped with
    --fail-on-skip).
    """
    sys.path.insert(0, os.path.abspath(pythonpath))
    if settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings
    # The project configures its logging during setup, and may log to stdout: the report
    # keeps stdout to itself, so ``--json`` parses.
    with stdout_to_stderr():
        if os.environ.get("DJANGO_SETTINGS_MODULE"):
            setup_django()

        from netrun.dogfood._runner import run_dogfood

        report = run_dogfood(packages=packages, project_root=project_root, skip=skip)
    options = {"strict": strict, "fail_on_skip": fail_on_skip}
    click.echo(report.to_json(**options) if as_json else report.to_text(**options))
    sys.exit(report.exit_code(**options))
