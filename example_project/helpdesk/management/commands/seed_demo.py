"""``manage.py seed_demo``: two tenants with a ticket each and an admin user, safe to run again."""

from __future__ import annotations

import secrets
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from example_project.helpdesk.models import Ticket
from netrun.rbac.context import BackgroundTaskTenantContext
from netrun.rbac.models import Tenant

DEMO_TENANTS = (("acme", "Acme Corp"), ("globex", "Globex Corporation"))


class Command(BaseCommand):
    help = "Create the demo tenants and an admin user, and print the admin's credentials."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--password",
            help="Admin password (default: a new random one each run, printed once).",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        for slug, name in DEMO_TENANTS:
            tenant, created = Tenant.objects.get_or_create(slug=slug, defaults={"name": name})
            self.stdout.write(f"tenant {tenant.slug}: {'created' if created else 'exists'}")
            # Tickets are tenant-scoped: created inside the tenant they belong to.
            with BackgroundTaskTenantContext(tenant.pk):
                Ticket.objects.get_or_create(title=f"Welcome to {name}")

        password = options["password"] or secrets.token_urlsafe(12)
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=options["username"], defaults={"email": "admin@example.com"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"admin login at http://127.0.0.1:8000/admin/ : "
                f"username={user.get_username()} password={password}"
            )
        )
