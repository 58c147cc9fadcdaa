"""``manage.py netrun_rls_check [--database ALIAS] [--app-role ROLE] [--errors-only]``.

Prints each problem of the row-level security setup (see
:func:`netrun.rbac.db.validate_rls_policies`) and exits with 1 when there is any (with
``--errors-only``, when there is an error: warnings are printed but pass).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from netrun.rbac.conf import conf
from netrun.rbac.db import validate_rls_policies


class Command(BaseCommand):
    help = "Validate PostgreSQL row-level security for the tenant-scoped tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default=None, help="alias the app connects as")
        parser.add_argument("--app-role", default=None, help="role to validate")
        parser.add_argument("--errors-only", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"] or conf.rls_database
        connection = connections[alias]
        if connection.vendor != "postgresql":
            raise CommandError(f"The {alias!r} database is {connection.vendor}, not PostgreSQL.")
        problems = validate_rls_policies(connection, app_role=options["app_role"])
        for problem in problems:
            self.stdout.write(str(problem))
        failing = [p for p in problems if p.is_error or not options["errors_only"]]
        if failing:
            raise CommandError(f"{len(failing)} RLS problem(s) on {alias!r}", returncode=1)
        self.stdout.write(f"RLS OK on {alias!r} ({len(problems)} warning(s))")
