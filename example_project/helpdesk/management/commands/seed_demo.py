"""``manage.py seed_demo``: two tenants with a member, a ticket and an LLM budget each, and an
admin user; safe to run again (passwords are reset and printed each run)."""

from __future__ import annotations

import secrets
from argparse import ArgumentParser
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from example_project.helpdesk.models import Comment, Ticket
from netrun.llm.models import TenantPolicyRecord
from netrun.rbac.context import BackgroundTaskTenantContext
from netrun.rbac.models import Membership, Tenant

# slug, name, member username, the member's role
DEMO_TENANTS = (
    ("acme", "Acme Corp", "alice", "agent"),
    ("globex", "Globex Corporation", "gus", "admin"),
)
DAILY_BUDGET_USD = Decimal("0.05")
MONTHLY_BUDGET_USD = Decimal("1.00")


class Command(BaseCommand):
    help = "Create the demo tenants, members, budgets and an admin user, and print the logins."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--port", type=int, default=8000, help="The port `make run` serves on (for the URL)."
        )
        parser.add_argument(
            "--password",
            help="Admin password (default: a new random one each run, printed once).",
        )
        parser.add_argument(
            "--member-password",
            help="Password of every tenant member (default: a new random one each, printed).",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        logins: list[str] = []
        for slug, name, username, role in DEMO_TENANTS:
            tenant, created = Tenant.objects.get_or_create(slug=slug, defaults={"name": name})
            self.stdout.write(f"tenant {tenant.slug}: {'created' if created else 'exists'}")
            # Tickets are tenant-scoped: created inside the tenant they belong to.
            with BackgroundTaskTenantContext(tenant.pk):
                ticket, _ = Ticket.objects.get_or_create(title=f"Welcome to {name}")
                Comment.objects.get_or_create(
                    ticket=ticket, body="The printer on floor 2 jams on every second page."
                )

            password = options["member_password"] or secrets.token_urlsafe(12)
            member, _ = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@{slug}.example"}
            )
            member.set_password(password)
            member.save()
            Membership.objects.update_or_create(
                user=member, tenant=tenant, defaults={"role": role, "is_active": True}
            )
            # The LLM policy the summarise endpoint enforces, editable in the admin; inside
            # the tenant, as row-level security on PostgreSQL requires.
            with BackgroundTaskTenantContext(tenant.pk):
                TenantPolicyRecord.objects.get_or_create(
                    tenant_id=str(tenant.pk),
                    defaults={
                        "daily_budget_usd": DAILY_BUDGET_USD,
                        "monthly_budget_usd": MONTHLY_BUDGET_USD,
                        "require_reason": True,
                    },
                )
            logins.append(f"member of {slug}: username={username} password={password} role={role}")

        password = options["password"] or secrets.token_urlsafe(12)
        user, _ = user_model.objects.get_or_create(
            username=options["username"], defaults={"email": "admin@example.com"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        for line in logins:
            self.stdout.write(self.style.SUCCESS(line))
        self.stdout.write(
            self.style.SUCCESS(
                f"admin login at http://127.0.0.1:{options['port']}/admin/ : "
                f"username={user.get_username()} password={password}"
            )
        )
