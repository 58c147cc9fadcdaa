"""``manage.py netrun_dogfood``: the dogfood checks on this project, text or JSON."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netrun.dogfood._runner import CHECKS, run_dogfood
from netrun.dogfood._streams import stdout_to_stderr


class Command(BaseCommand):
    help = "Check the Netrun suite and this project against Netrun's integration contracts."

    # Django's checks are one of the dogfood checks, reported in the same report.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--package",
            action="append",
            default=[],
            dest="packages",
            help="A project package whose exceptions and logging are checked (repeatable).",
        )
        parser.add_argument(
            "--project-root",
            help="Folder the tenant escape scanner reads (default: the project's own packages).",
        )
        parser.add_argument("--skip", action="append", default=[], choices=CHECKS)
        parser.add_argument("--strict", action="store_true", help="Warnings fail too.")
        parser.add_argument("--fail-on-skip", action="store_true", help="Skips fail too.")

    def handle(self, *args: Any, **options: Any) -> None:
        # The project's logging may write to stdout; the report keeps it to itself.
        with stdout_to_stderr():
            report = run_dogfood(
                packages=options["packages"],
                project_root=options["project_root"],
                skip=options["skip"],
            )
        flags = {"strict": options["strict"], "fail_on_skip": options["fail_on_skip"]}
        self.stdout.write(report.to_json(**flags) if options["json"] else report.to_text(**flags))
        if report.exit_code(**flags):
            raise CommandError("netrun dogfood found problems", returncode=1)
