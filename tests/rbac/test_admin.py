"""The admin: a tenant's staff see and change only their tenant; superusers see all."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client

from netrun.rbac.admin import TenantScopedAdmin
from netrun.rbac.models import Tenant
from tests.rbac.conftest import World
from tests.rbac.testapp.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_tickets_are_registered_with_the_tenant_scoped_admin() -> None:
    assert isinstance(admin.site.get_model_admin(Ticket), TenantScopedAdmin)


def staff_client(world: World) -> Client:
    world.bob.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_ticket", "change_ticket", "delete_ticket", "view_tenant"]
        )
    )
    client = Client()
    client.force_login(world.bob)
    return client


def test_staff_see_only_their_tenant(world: World) -> None:
    client = staff_client(world)
    listing = client.get("/admin/testapp/ticket/")
    assert listing.status_code == 200
    assert b"B ticket" in listing.content
    assert b"A secret" not in listing.content
    change = client.get(f"/admin/testapp/ticket/{world.a_ticket.pk}/change/")
    assert change.status_code == 302  # "doesn't exist", back to the index
    tenants = client.get("/admin/netrun_rbac/tenant/")
    assert b"Globex" in tenants.content
    assert b"Acme" not in tenants.content


def test_staff_changes_run_in_the_rows_tenant(world: World) -> None:
    client = staff_client(world)
    response = client.post(
        f"/admin/testapp/ticket/{world.b_ticket.pk}/change/", {"title": "edited", "status": "open"}
    )
    assert response.status_code == 302
    response = client.post(f"/admin/testapp/ticket/{world.a_ticket.pk}/delete/", {"post": "yes"})
    assert Ticket.all_tenants.filter(pk=world.a_ticket.pk).exists()
    client.post(
        "/admin/testapp/ticket/",
        {
            "action": "delete_selected",
            "_selected_action": [world.a_ticket.pk, world.b_ticket.pk],
            "post": "yes",
        },
    )
    assert list(Ticket.all_tenants.values_list("title", flat=True)) == ["A secret"]


def test_superusers_see_every_tenant(world: World) -> None:
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(root)
    listing = client.get("/admin/testapp/ticket/")
    assert b"B ticket" in listing.content
    assert b"A secret" in listing.content
    assert Tenant.objects.count() == 2
