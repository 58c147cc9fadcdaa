"""``manage.py netrun_doctor``: the ``netrun doctor`` report for this project."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from netrun.core._doctor import build_report, render_text
from netrun.core.streams import stdout_to_stderr


class Command(BaseCommand):
    help = (
        "Report installed Netrun apps, optional dependencies and the features they enable, "
        "and failing system checks. Exits with status 1 when there are problems."
    )
    requires_system_checks: list[str] = []  # the report runs the checks and shows them itself

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--no-checks", action="store_true", help="Skip system checks.")

    def handle(self, *args: Any, **options: Any) -> None:
        with stdout_to_stderr():  # logs of the checks never mix with the report
            report = build_report(run_checks=not options["no_checks"])
        self.stdout.write(json.dumps(report, indent=2) if options["json"] else render_text(report))
        if not report["ok"]:
            raise CommandError("netrun doctor found problems (see the report above)")
