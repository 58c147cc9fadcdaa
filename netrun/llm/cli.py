"""``netrun llm``: the click group the ``netrun`` console script registers lazily.

``netrun llm price-drift`` compares the built-in price table with the ``genai-prices``
package's bundled data; with ``--settings`` (or ``DJANGO_SETTINGS_MODULE``) it compares the
table the project's calls are priced with, ``NETRUN_LLM_PRICES`` and admin rows included.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from decimal import Decimal

import click

from netrun.core.cli import project_options, setup_django
from netrun.core.deps import MissingDependencyError
from netrun.core.streams import stdout_to_stderr
from netrun.llm.policy._price_drift import DEFAULT_TOLERANCE_PCT, INSTALL_HINT, compare_prices
from netrun.llm.policy.pricing import current_price_table

__all__ = ["llm"]

#: Exit status when the report cannot be made (genai-prices missing); 1 is drift.
EXIT_UNAVAILABLE = 2


class _Unavailable(click.ClickException):
    exit_code = EXIT_UNAVAILABLE


@click.group()
def llm() -> None:
    """netrun.llm tools."""


@llm.command("price-drift")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=float(DEFAULT_TOLERANCE_PCT),
    show_default=True,
    metavar="PERCENT",
    help="Relative difference under which two prices are the same.",
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Compare the prices in force on this day (default: today, UTC).",
)
@click.option("--fail-on-drift", is_flag=True, help="Exit with status 1 when a model drifts.")
@project_options
def price_drift(
    as_json: bool,
    tolerance: float,
    day: dt.datetime | None,
    fail_on_drift: bool,
    settings: str | None,
    pythonpath: str,
) -> None:
    """Compare netrun's LLM prices with the genai-prices package's data, model by model.

    Reads the data bundled in the installed genai-prices (nothing is fetched). Exits with
    status 0 whatever drifts (a warning, for CI), 1 with --fail-on-drift when a model drifts,
    2 when genai-prices is not installed.
    """
    if settings:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings
    # The project's logging may write to stdout: the report keeps stdout to itself.
    with stdout_to_stderr():
        table = None
        if os.environ.get("DJANGO_SETTINGS_MODULE"):
            sys.path.insert(0, os.path.abspath(pythonpath))
            setup_django()
            table = current_price_table()
        try:
            report = compare_prices(
                table,
                tolerance_pct=Decimal(str(tolerance)),
                at=None if day is None else day.date(),
            )
        except MissingDependencyError as error:
            raise _Unavailable(f"{error} ({INSTALL_HINT})") from error
    click.echo(report.to_json() if as_json else report.to_text())
    sys.exit(report.exit_code(fail_on_drift=fail_on_drift))
