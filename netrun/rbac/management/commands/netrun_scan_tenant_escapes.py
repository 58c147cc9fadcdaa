"""``manage.py netrun_scan_tenant_escapes``: the tenant escape path scanner, for CI.

Exit status 0 when nothing is found, 1 otherwise. ``--format`` text (default), json or
sarif; ``--output`` writes the report to a file.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from netrun.core.streams import DocumentCommandMixin
from netrun.rbac.conf import conf
from netrun.rbac.scanner import TenantEscapePathScanner, to_json, to_sarif, to_text

FORMATS = {"text": to_text, "json": to_json, "sarif": to_sarif}


# The mixin keeps stdout for the report: logs (system checks' included) go to stderr.
class Command(DocumentCommandMixin, BaseCommand):
    help = "Scan the project for code paths that can cross tenants."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "root", nargs="?", help="Project root (default: BASE_DIR or the working directory)."
        )
        parser.add_argument("--format", choices=sorted(FORMATS), default="text")
        parser.add_argument("--output", help="Write the report to this file.")
        parser.add_argument("--exclude", action="append", default=[], help="Glob to skip.")

    def handle(self, *args: Any, **options: Any) -> None:
        root = options["root"] or getattr(settings, "BASE_DIR", None) or Path.cwd()
        scanner = TenantEscapePathScanner(
            root, owner_aliases=conf.owner_aliases, exclude=options["exclude"]
        )
        violations = scanner.scan()
        report = FORMATS[options["format"]](violations)
        if options["output"]:
            Path(options["output"]).write_text(report + "\n", encoding="utf-8")
        else:
            self.stdout.write(report)
        if violations:
            raise SystemExit(1)
