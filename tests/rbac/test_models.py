"""The ORM wall: tenant B never reads or writes tenant A's rows, and no tenant means an error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.db.models import Count, Exists, OuterRef, Subquery

from netrun.core.context import tenant_context
from netrun.errors import TenantAccessDeniedError, TenantContextMissingError
from netrun.logging.testing import capture_logs
from netrun.rbac.context import TenantTestContext
from netrun.rbac.models import Tenant, same_tenant
from netrun.rbac.registry import tenant_scoped_models
from netrun.rbac.scope import unscoped
from tests.rbac.conftest import World
from tests.rbac.testapp.models import Comment, Tag, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

NO_TENANT_READS = [
    ("all", lambda: list(Ticket.objects.all())),
    ("filter", lambda: list(Ticket.objects.filter(title__startswith="A"))),
    ("get", lambda: Ticket.objects.get(title="A secret")),
    ("count", lambda: Ticket.objects.count()),
    ("exists", lambda: Ticket.objects.exists()),
    ("aggregate", lambda: Ticket.objects.aggregate(n=Count("pk"))),
    ("values", lambda: list(Ticket.objects.values("title"))),
    ("values_list", lambda: list(Ticket.objects.values_list("title", flat=True))),
    ("iterator", lambda: list(Ticket.objects.iterator())),
    ("first", lambda: Ticket.objects.first()),
    ("in_bulk", lambda: Ticket.objects.in_bulk()),
    ("update", lambda: Ticket.objects.update(status="x")),
    ("delete", lambda: Ticket.objects.all().delete()),
    ("comments_select_related", lambda: list(Comment.objects.select_related("ticket"))),
    ("prefetch", lambda: list(Ticket.objects.prefetch_related("comments"))),
    ("create", lambda: Ticket.objects.create(title="orphan")),
    ("bulk_create", lambda: Ticket.objects.bulk_create([Ticket(title="orphan")])),
]


@pytest.mark.parametrize(
    ("name", "operation"), NO_TENANT_READS, ids=[n for n, _ in NO_TENANT_READS]
)
def test_every_operation_without_a_tenant_fails_closed(
    world: World, name: str, operation: Any
) -> None:
    with pytest.raises(TenantContextMissingError):
        operation()


def test_a_queryset_built_without_a_tenant_is_scoped_when_it_runs(world: World) -> None:
    queryset = Ticket.objects.all()  # like DRF's class attribute, built at import time
    with TenantTestContext(world.b):
        assert [t.title for t in queryset.all()] == ["B ticket"]
    with TenantTestContext(world.a):
        assert [t.title for t in queryset.all()] == ["A secret"]


def test_tenant_b_reads_only_its_own_rows(world: World) -> None:
    with TenantTestContext(world.b):
        assert list(Ticket.objects.values_list("title", flat=True)) == ["B ticket"]
        assert Ticket.objects.count() == 1
        assert Ticket.objects.aggregate(n=Count("pk")) == {"n": 1}
        assert not Ticket.objects.filter(pk=world.a_ticket.pk).exists()
        with pytest.raises(Ticket.DoesNotExist):
            Ticket.objects.get(pk=world.a_ticket.pk)
        assert Ticket.objects.in_bulk([world.a_ticket.pk]) == {}
        assert list(Comment.objects.filter(ticket_id=world.a_ticket.pk)) == []
        assert list(Tag.objects.all()) == []
        # Subqueries and joins are scoped too.
        inner = Comment.objects.filter(ticket=OuterRef("pk")).values("body")[:1]
        assert list(Ticket.objects.annotate(c=Subquery(inner)).values_list("c", flat=True)) == [
            "B's comment"
        ]
        assert (
            Ticket.objects.filter(Exists(Comment.objects.filter(ticket=OuterRef("pk")))).count()
            == 1
        )
        assert list(Ticket.objects.filter(pk__in=Ticket.all_tenants.values("pk"))) != []
        union = (
            Ticket.objects.filter(status="open")
            .order_by()
            .union(Ticket.objects.filter(status="x").order_by())
        )
        assert [t.title for t in union] == ["B ticket"]
        assert [c.ticket.title for c in Comment.objects.select_related("ticket")] == ["B ticket"]


def test_related_managers_and_descriptors_stay_in_the_tenant(world: World) -> None:
    with unscoped(reason="test fetches A's ticket to attack with it"):
        a_ticket = Ticket.objects.get(pk=world.a_ticket.pk)
        a_comment = Comment.objects.get(pk=world.a_comment.pk)
    with TenantTestContext(world.b):
        assert list(a_ticket.comments.all()) == []
        assert list(a_ticket.tags.all()) == []
        assert list(world.a_tag.tickets.all()) == []
        fresh = Comment(ticket_id=a_comment.ticket_id, body="x")
        with pytest.raises(Ticket.DoesNotExist):
            fresh.ticket  # noqa: B018
        with pytest.raises(Comment.DoesNotExist):
            a_comment.refresh_from_db()


def test_writes_to_another_tenants_rows_are_denied(world: World) -> None:
    with unscoped(reason="test fetches A's rows to attack with them"):
        a_ticket = Ticket.objects.get(pk=world.a_ticket.pk)
    with TenantTestContext(world.b):
        a_ticket.title = "pwned"
        with pytest.raises(TenantAccessDeniedError):
            a_ticket.save()
        with pytest.raises(TenantAccessDeniedError):
            a_ticket.delete()
        with pytest.raises(TenantAccessDeniedError):
            Ticket.objects.bulk_update([a_ticket], ["title"])
        with pytest.raises(TenantAccessDeniedError):
            Ticket.objects.bulk_create([Ticket(title="x", tenant_id=world.a.pk)])
        with pytest.raises(TenantAccessDeniedError):
            Ticket.objects.create(title="x", tenant=world.a)
        # A foreign key or a link to another tenant's row is refused.
        with pytest.raises(TenantAccessDeniedError):
            Comment.objects.create(ticket_id=world.a_ticket.pk, body="injected")
        with pytest.raises(TenantAccessDeniedError):
            Comment.objects.bulk_create([Comment(ticket_id=world.a_ticket.pk, body="x")])
        b_ticket = Ticket.objects.get()
        with pytest.raises(TenantAccessDeniedError):
            b_ticket.tags.add(world.a_tag.pk)
        # Mass writes only touch B's rows.
        assert Ticket.objects.filter(pk=world.a_ticket.pk).update(title="pwned") == 0
        assert Ticket.objects.update(status="closed") == 1
        assert Comment.objects.filter(ticket_id=world.a_ticket.pk).delete()[0] == 0
        # Forging an instance with A's primary key does not overwrite A's row.
        forged = Ticket(pk=world.a_ticket.pk, title="pwned")
        with pytest.raises(Exception):  # noqa: B017, PT011 - the insert collides, nothing updates
            forged.save()
        with pytest.raises(TenantAccessDeniedError):
            Ticket.objects.raw("SELECT * FROM testapp_ticket")
    with TenantTestContext(world.a):
        ticket = Ticket.objects.get()
        assert (ticket.title, ticket.status) == ("A secret", "open")
        assert Comment.objects.count() == 1


def test_creating_sets_the_tenant_from_the_context(world: World) -> None:
    with TenantTestContext(world.b):
        ticket = Ticket.objects.create(title="new")
        created = Ticket.objects.bulk_create([Ticket(title="bulk")])
        comment = ticket.comments.create(body="hi")
        ticket.tags.add(Tag.objects.create(name="b-tag"))
    assert same_tenant(ticket.tenant_id, world.b.pk)
    assert same_tenant(created[0].tenant_id, world.b.pk)
    assert same_tenant(comment.tenant_id, world.b.pk)


def test_the_ways_out_are_explicit_and_logged(world: World) -> None:
    with capture_logs() as logs:
        assert Ticket.all_tenants.count() == 2
        assert Ticket.all_tenants.reason("report").count() == 2
        with unscoped(reason="nightly report"):
            assert Ticket.objects.count() == 2
            assert len(list(Ticket.objects.raw("SELECT * FROM testapp_ticket"))) == 2
            with pytest.raises(TenantContextMissingError):
                Ticket.objects.create(title="no tenant named")
            Ticket.objects.create(title="explicit", tenant=world.a)
    events = [e for e in logs if e["event"] == "rbac_unscoped"]
    assert [e.get("reason") for e in events] == ["unspecified", "report", "nightly report"]
    with pytest.raises(ValueError, match="reason"), unscoped(reason=" "):
        pass
    with pytest.raises(ValueError, match="reason"):
        Ticket.all_tenants.reason("")


def test_deleting_a_tenant_cascades_only_when_unscoped(world: World) -> None:
    with pytest.raises(TenantContextMissingError):
        Tenant.objects.filter(pk=world.a.pk).delete()
    with unscoped(reason="offboarding tenant A"):
        Tenant.objects.filter(pk=world.a.pk).delete()
    assert Ticket.all_tenants.count() == 1


def test_async_queryset_methods_are_scoped_and_fail_closed(world: World) -> None:
    async def attack() -> dict[str, Any]:
        async with TenantTestContext(world.b):
            titles = [t.title async for t in Ticket.objects.all()]
            count = await Ticket.objects.acount()
            exists = await Ticket.objects.filter(pk=world.a_ticket.pk).aexists()
            updated = await Ticket.objects.filter(pk=world.a_ticket.pk).aupdate(title="pwned")
            try:
                await Ticket.objects.aget(pk=world.a_ticket.pk)
                leaked = True
            except Ticket.DoesNotExist:
                leaked = False
            # A task created inside the context keeps it; one outside has none.
            inside = await asyncio.create_task(Ticket.objects.acount())
        try:
            await Ticket.objects.acount()
            failed_closed = False
        except TenantContextMissingError:
            failed_closed = True
        return {
            "titles": titles,
            "count": count,
            "exists": exists,
            "updated": updated,
            "leaked": leaked,
            "inside": inside,
            "failed_closed": failed_closed,
        }

    assert asyncio.run(attack()) == {
        "titles": ["B ticket"],
        "count": 1,
        "exists": False,
        "updated": 0,
        "leaked": False,
        "inside": 1,
        "failed_closed": True,
    }


def test_registry_lists_the_tenant_scoped_models() -> None:
    assert set(tenant_scoped_models()) == {Ticket, Comment, Tag}
    assert set(tenant_scoped_models(rls_only=True)) == {Ticket, Comment, Tag}
    assert Ticket._base_manager.name == "objects"
    assert Ticket._default_manager.name == "objects"


def test_same_tenant_compares_uuids_in_any_spelling() -> None:
    import uuid

    value = uuid.uuid4()
    assert same_tenant(value, str(value).upper())
    assert same_tenant(value, value.hex)
    assert not same_tenant("a", "b")
    assert not same_tenant(None, None)
    with tenant_context("x"):
        pass
