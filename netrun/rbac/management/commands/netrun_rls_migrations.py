"""``manage.py netrun_rls_migrations <app_label> [--check] [--dry-run]``.

Writes a migration with ``EnableRLS`` for each ``tenant_rls`` model of the app whose
migrations do not enable row-level security yet. ``--check`` exits with 1 when one would be
written (for CI, next to ``makemigrations --check``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netrun.rbac.db.makemigrations import rls_migration


class Command(BaseCommand):
    help = "Write EnableRLS migrations for tenant-scoped models not yet under row-level security."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("app_label")
        parser.add_argument("--name", default="netrun_rls")
        parser.add_argument("--dry-run", action="store_true", help="print, do not write")
        parser.add_argument("--check", action="store_true", help="exit 1 when one is pending")

    def handle(self, *args: Any, **options: Any) -> None:
        found = rls_migration(options["app_label"], name=options["name"])
        if found is None:
            self.stdout.write(f"No RLS changes in {options['app_label']}")
            return
        path, source = found
        if options["dry_run"] or options["check"]:
            self.stdout.write(source)
        else:
            path.write_text(source, encoding="utf-8")
            self.stdout.write(f"Wrote {path}")
        if options["check"]:
            raise CommandError("RLS migrations are pending", returncode=1)
