"""Saving an existing tenant-scoped row works on every supported Django, and stays scoped.

Django calls the queryset's private ``_update`` from ``Model.save()`` with arguments that
change between releases (6.0 added the returning fields); the tenant queryset must pass them
through and still add the tenant filter to the UPDATE.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError
from django.test import Client

from netrun.rbac.context import TenantTestContext
from tests.rbac.conftest import World
from tests.rbac.testapp.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _title(pk: int) -> str:
    return str(Ticket.all_tenants.reason("test reads back").get(pk=pk).title)


def test_saving_an_existing_row_through_the_orm_updates_it(world: World) -> None:
    with TenantTestContext(world.a):
        ticket = Ticket.objects.get(pk=world.a_ticket.pk)
        ticket.title = "renamed"
        ticket.save()
        assert _title(ticket.pk) == "renamed"
        ticket.status = "closed"
        ticket.save(update_fields=["status"])
        ticket.refresh_from_db()
        assert (ticket.title, ticket.status) == ("renamed", "closed")
    assert _title(world.b_ticket.pk) == "B ticket"


def test_an_update_from_save_is_filtered_by_the_current_tenant(world: World) -> None:
    # A forged instance claiming tenant B but carrying A's primary key: the model-level check
    # passes (the tenant field matches the context), so only the UPDATE's tenant filter stops
    # it from rewriting A's row.
    with TenantTestContext(world.b):
        forged = Ticket(pk=world.a_ticket.pk, tenant_id=world.b.pk, title="pwned")
        forged._state.adding = False
        with pytest.raises(DatabaseError, match="did not affect any rows"):
            forged.save(update_fields=["title"])
    assert _title(world.a_ticket.pk) == "A secret"


def test_the_admin_change_view_saves_an_existing_row(world: World) -> None:
    world.bob.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_ticket", "change_ticket"])
    )
    client = Client()
    client.force_login(world.bob)
    url = f"/admin/testapp/ticket/{world.b_ticket.pk}/change/"
    response = client.post(url, {"title": "edited in the admin", "status": "closed"})
    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == "/admin/testapp/ticket/"
    assert _title(world.b_ticket.pk) == "edited in the admin"
    assert _title(world.a_ticket.pk) == "A secret"
