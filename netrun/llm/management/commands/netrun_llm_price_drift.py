"""``manage.py netrun_llm_price_drift``: this project's LLM prices beside genai-prices' data.

Compares the table calls are priced with (the built-in prices, ``NETRUN_LLM_PRICES`` and the
admin's ``LLMPriceOverride`` rows) with the data bundled in the installed ``genai-prices``,
model by model. Exit status: 0 whatever drifts (a warning), 1 with ``--fail-on-drift`` when a
model drifts, 2 when genai-prices is not installed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netrun.core.deps import MissingDependencyError
from netrun.core.streams import DocumentCommandMixin
from netrun.llm.policy._price_drift import DEFAULT_TOLERANCE_PCT, INSTALL_HINT, compare_prices
from netrun.llm.policy.pricing import current_price_table


def percent(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(value)
    return amount


# The mixin keeps stdout for the report: logs (system checks' included) go to stderr.
class Command(DocumentCommandMixin, BaseCommand):
    help = "Compare this project's LLM prices with the genai-prices package's data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--tolerance",
            type=percent,
            default=DEFAULT_TOLERANCE_PCT,
            metavar="PERCENT",
            help="Relative difference under which two prices are the same (default: 1).",
        )
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            help="Compare the prices in force on this day, YYYY-MM-DD (default: today, UTC).",
        )
        parser.add_argument(
            "--fail-on-drift", action="store_true", help="Exit with status 1 when a model drifts."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = compare_prices(
                current_price_table(), tolerance_pct=options["tolerance"], at=options["date"]
            )
        except MissingDependencyError as error:
            raise CommandError(f"{error} ({INSTALL_HINT})", returncode=2) from error
        self.stdout.write(report.to_json() if options["json"] else report.to_text())
        if code := report.exit_code(fail_on_drift=options["fail_on_drift"]):
            drifted = ", ".join(f"{m.provider}/{m.model}" for m in report.drifted)
            raise CommandError(f"LLM prices drift from genai-prices: {drifted}", returncode=code)
