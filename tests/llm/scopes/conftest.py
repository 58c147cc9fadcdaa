"""Two tenants, each with scope budgets; a staff member of the first; a superuser."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from netrun.llm.models import ScopeBudgetRecord


@dataclass
class World:
    acme: Any
    globex: Any
    acme_user: ScopeBudgetRecord  # user 7 of acme, 1 USD a day
    acme_tag: ScopeBudgetRecord  # tag "ticket-summary" of acme, 2 USD per 5 hours
    acme_every_key: ScopeBudgetRecord  # every API key of acme, 3 USD a week
    globex_user: ScopeBudgetRecord  # user 7 of globex, 9 USD a day
    staff_user: Any  # staff, admin member of acme, every netrun_llm model permission
    staff: Client
    root: Client  # a superuser

    @property
    def a(self) -> str:
        return str(self.acme.pk)

    @property
    def b(self) -> str:
        return str(self.globex.pk)


@pytest.fixture
def world(db: None, django_user_model: Any) -> World:
    from netrun.rbac.models import Membership, Tenant

    acme = Tenant.objects.create(slug="acme", name="Acme Corp")
    globex = Tenant.objects.create(slug="globex", name="Globex Corporation")
    a, b = str(acme.pk), str(globex.pk)
    acme_user = ScopeBudgetRecord.objects.create(
        tenant_id=a, kind="user", value="7", limit_usd=Decimal("1"), period="day"
    )
    acme_tag = ScopeBudgetRecord.objects.create(
        tenant_id=a,
        kind="tag",
        value="ticket-summary",
        limit_usd=Decimal("2"),
        period="hours",
        hours=5,
        alert_thresholds="50, 80",
    )
    acme_every_key = ScopeBudgetRecord.objects.create(
        tenant_id=a, kind="key", value="", limit_usd=Decimal("3"), period="week"
    )
    globex_user = ScopeBudgetRecord.objects.create(
        tenant_id=b, kind="user", value="7", limit_usd=Decimal("9"), period="day"
    )
    user = django_user_model.objects.create_user("acme-staff", password="pw", is_staff=True)
    Membership.objects.create(user=user, tenant=acme, role="admin")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="netrun_llm"))
    staff = Client()
    staff.force_login(user)
    root = Client()
    root.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    return World(acme, globex, acme_user, acme_tag, acme_every_key, globex_user, user, staff, root)
