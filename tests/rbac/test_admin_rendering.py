"""Admin pages of tenant-scoped models render inside the row's tenant, and
``TenantIdScopedAdmin`` refuses writes to another tenant's rows whatever form a subclass
builds."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory

from netrun.rbac.admin import TenantIdScopedAdmin, _hex
from tests.rbac.conftest import World
from tests.rbac.testapp.models import Note

pytestmark = pytest.mark.django_db(transaction=True)


def _alice(world: World) -> Client:
    world.alice.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_ticket", "change_ticket", "delete_ticket"])
    )
    client = Client(raise_request_exception=False)
    client.force_login(world.alice)
    return client


def test_change_history_and_delete_pages_render_in_the_rows_tenant(world: World) -> None:
    # The change form's tag widget lists the tenant's tags while the template renders.
    client = _alice(world)
    base = f"/admin/testapp/ticket/{world.a_ticket.pk}"
    change = client.get(f"{base}/change/")
    assert change.status_code == 200
    assert "urgent" in change.content.decode()
    assert client.get(f"{base}/history/").status_code == 200
    delete = client.get(f"{base}/delete/")
    assert delete.status_code == 200
    assert "A secret" in delete.content.decode()


def test_an_invalid_change_renders_the_form_again(world: World) -> None:
    client = _alice(world)
    response = client.post(f"/admin/testapp/ticket/{world.a_ticket.pk}/change/", {"title": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()


def _request(user: Any) -> Any:
    request = RequestFactory().post("/")
    request.user = user
    return request


def test_tenant_id_admin_refuses_saving_or_deleting_another_tenants_rows(world: World) -> None:
    model_admin = TenantIdScopedAdmin(Note, admin.site)
    request = _request(world.alice)
    own = Note.objects.create(tenant_id=str(world.a.pk), text="mine")
    foreign = Note.objects.create(tenant_id=str(world.b.pk), text="theirs")
    assert list(model_admin.get_queryset(request)) == [own]
    own.text = "edited"
    model_admin.save_model(request, own, form=None, change=True)
    foreign.text = "hijacked"
    with pytest.raises(PermissionDenied):
        model_admin.save_model(request, foreign, form=None, change=True)
    with pytest.raises(PermissionDenied):
        model_admin.delete_queryset(request, Note.objects.all())
    model_admin.delete_queryset(request, Note.objects.filter(pk=own.pk))
    assert list(Note.objects.values_list("text", flat=True)) == ["theirs"]


def test_tenant_id_admin_matches_hex_spelt_ids_and_keeps_global_rows_for_superusers(
    world: World, django_user_model: Any
) -> None:
    model_admin = TenantIdScopedAdmin(Note, admin.site)
    hex_row = Note.objects.create(tenant_id=world.a.pk.hex, text="hex spelling")
    global_row = Note.objects.create(tenant_id="", text="global")
    assert list(model_admin.get_queryset(_request(world.alice))) == [hex_row]
    assert not model_admin.owns(_request(world.alice), global_row)
    root = django_user_model.objects.create_superuser("root", password="pw")
    assert model_admin.owns(_request(root), global_row)
    assert model_admin.get_queryset(_request(root)).count() == 2
    assert _hex("acme") == ""
