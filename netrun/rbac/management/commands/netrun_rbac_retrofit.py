"""``manage.py netrun_rbac_retrofit app_label.Model --tenant-from RULE [--dry-run]``.

Writes the migration that makes an existing model, with rows, tenant-scoped: the nullable
tenant foreign key, its backfill by ``RULE``, NOT NULL, row-level security
(:mod:`netrun.rbac.db.retrofit`). Run it after making the model subclass
``TenantScopedModel``, instead of ``makemigrations`` (which would ask for one default tenant).
``--dry-run`` writes nothing: it prints the migration and, on PostgreSQL, how many rows the
rule gives a tenant and which get none, from a backfill it rolls back.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from netrun.rbac.db.retrofit import RetrofitError, dry_run_backfill, plan_retrofit


class Command(BaseCommand):
    help = (
        "Write the migration that makes an existing model tenant-scoped: nullable tenant, "
        "backfill by a rule, NOT NULL, row-level security."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("model", help="app_label.Model, already subclassing TenantScopedModel")
        parser.add_argument(
            "--tenant-from",
            required=True,
            metavar="RULE",
            help="a field path to the tenant ('project__tenant') or a callable's dotted path "
            "('billing.retrofit.invoice_tenant', called with each row)",
        )
        parser.add_argument("--name", default=None, help="the migration's name (after its number)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print the migration and count rows; write and change nothing",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="the alias migrations run on, for the dry run's counts (default: 'default')",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            plan = plan_retrofit(options["model"], options["tenant_from"], name=options["name"])
        except RetrofitError as error:
            raise CommandError(str(error)) from None
        label = plan.model._meta.label
        self.stdout.write(
            f"Retrofitting tenancy on {label} (field {plan.tenant_field!r}, rule {plan.rule!r}):"
        )
        for number, step in enumerate(plan.steps, 1):
            self.stdout.write(f"  {number}. {step}")
        if plan.other_changes:
            self.stdout.write(
                f"Other model changes in {plan.migration.app_label} are left to makemigrations."
            )
        if not options["dry_run"]:
            plan.path.write_text(plan.source, encoding="utf-8")
            self.stdout.write(f"Wrote {plan.path}\nNext: manage.py migrate (one transaction).")
            return
        self.stdout.write(f"Would write {plan.path}:\n{plan.source}")
        using = options["database"]
        if using not in connections:
            raise CommandError(f"No database alias {using!r} in DATABASES.")
        try:
            result = dry_run_backfill(plan, using=using)
        except RetrofitError as error:
            self.stdout.write(f"No row counts: {error}")
        else:
            self.stdout.write(
                f"On database {using!r}: {result.assigned} row(s) would get a tenant, "
                f"{result.unassigned} would get none."
            )
            if result.unassigned:
                shown = ", ".join(repr(pk) for pk in result.first_unassigned)
                self.stdout.write(
                    f"Rows without a tenant (first primary keys): {shown}. "
                    "migrate would stop on them until they get one or are deleted."
                )
        self.stdout.write("Dry run: nothing was written or changed.")
