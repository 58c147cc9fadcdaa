"""Subqueries are scoped like the queries around them (the ORM wall, on SQLite).

Each form puts a tenant-scoped queryset inside a query over a model that is *not* scoped
(the tenant model, memberships, users, a plain model) or over another scoped model: bound to
a tenant, the subquery reads that tenant's rows only; bound to nothing, evaluating the outer
query raises ``TenantContextMissingError``. (Issue 23: leaving subqueries unscoped in
``netrun_resolve`` showed tenant B the tenant A rows.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery

from netrun.errors import TenantContextMissingError
from netrun.rbac.context import TenantTestContext
from netrun.rbac.models import Membership, Tenant
from tests.rbac.conftest import World
from tests.rbac.testapp.models import Comment, Note, Tag, Ticket


def _tickets_per_tenant() -> Subquery:
    counted = (
        Ticket.objects.filter(tenant_id=OuterRef("pk"))
        .order_by()
        .values("tenant_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(counted)


#: Each form, as a function returning what the tenant sees: only the bound tenant's data may
#: appear in it (``slug`` of tenants, ``username`` of users, text of rows).
FORMS: dict[str, Callable[[], Any]] = {
    "tenant pk__in values": lambda: sorted(
        Tenant.objects.filter(pk__in=Ticket.objects.values("tenant_id")).values_list(
            "slug", flat=True
        )
    ),
    "tenant pk__in values_list": lambda: sorted(
        Tenant.objects.filter(
            pk__in=Comment.objects.values_list("tenant_id", flat=True)
        ).values_list("slug", flat=True)
    ),
    "tenant Exists OuterRef": lambda: sorted(
        Tenant.objects.filter(Exists(Ticket.objects.filter(tenant_id=OuterRef("pk")))).values_list(
            "slug", flat=True
        )
    ),
    "tenant annotate Subquery": lambda: sorted(
        (slug, n)
        for slug, n in Tenant.objects.annotate(n=_tickets_per_tenant()).values_list("slug", "n")
        if n is not None
    ),
    "tenant filter on Subquery": lambda: sorted(
        Tenant.objects.annotate(n=_tickets_per_tenant())
        .filter(n__gte=1)
        .values_list("slug", flat=True)
    ),
    "membership tenant__in": lambda: sorted(
        Membership.objects.filter(tenant__in=Tag.objects.values("tenant")).values_list(
            "user__username", flat=True
        )
    ),
    "membership Exists": lambda: sorted(
        Membership.objects.filter(
            Exists(Comment.objects.filter(tenant_id=OuterRef("tenant_id")))
        ).values_list("user__username", flat=True)
    ),
    "user through membership": lambda: sorted(
        get_user_model()
        .objects.filter(netrun_memberships__tenant_id__in=Ticket.objects.values("tenant_id"))
        .values_list("username", flat=True)
    ),
    "plain model pk__in": lambda: sorted(
        Note.objects.filter(tenant_id__in=Ticket.objects.values("tenant_id")).values_list(
            "text", flat=True
        )
    ),
    "scoped in scoped": lambda: sorted(
        Ticket.all_tenants.reason("test: outer query open, inner scoped")
        .filter(pk__in=Comment.objects.values("ticket_id"))
        .values_list("title", flat=True)
    ),
    "aggregate of a Subquery": lambda: Tenant.objects.aggregate(
        n=Count("pk", filter=Exists(Ticket.objects.filter(tenant_id=OuterRef("pk"))))
    )["n"],
    "subquery of a subquery": lambda: sorted(
        Tenant.objects.filter(
            pk__in=Ticket.objects.filter(pk__in=Comment.objects.values("ticket_id")).values(
                "tenant_id"
            )
        ).values_list("slug", flat=True)
    ),
}

#: What tenant A and tenant B see through each form.
SEEN = {
    "tenant pk__in values": (["acme"], ["globex"]),
    "tenant pk__in values_list": (["acme"], ["globex"]),
    "tenant Exists OuterRef": (["acme"], ["globex"]),
    "tenant annotate Subquery": ([("acme", 1)], [("globex", 1)]),
    "tenant filter on Subquery": (["acme"], ["globex"]),
    "membership tenant__in": (["alice"], []),  # B has no tag
    "membership Exists": (["alice"], ["bob"]),
    "user through membership": (["alice"], ["bob"]),
    "plain model pk__in": (["note of acme"], ["note of globex"]),
    "scoped in scoped": (["A secret"], ["B ticket"]),
    "aggregate of a Subquery": (1, 1),
    "subquery of a subquery": (["acme"], ["globex"]),
}


@pytest.fixture
def notes(world: World) -> World:
    for tenant in (world.a, world.b):
        # SQLite stores a UUID as 32 hex digits: what the subquery's tenant_id compares to.
        Note.objects.create(tenant_id=tenant.pk.hex, text=f"note of {tenant.slug}")
    return world


def test_every_form_is_listed() -> None:
    assert set(FORMS) == set(SEEN)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_subquery_reads_only_the_bound_tenants_rows(notes: World, form: str) -> None:
    seen_by_a, seen_by_b = SEEN[form]
    with TenantTestContext(notes.a):
        assert FORMS[form]() == seen_by_a
    with TenantTestContext(notes.b):
        assert FORMS[form]() == seen_by_b


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_subquery_without_a_tenant_fails_closed(notes: World, form: str) -> None:
    with pytest.raises(TenantContextMissingError):
        FORMS[form]()


def test_the_open_way_out_is_explicit(notes: World) -> None:
    """``all_tenants`` in a subquery reads every tenant: the forms above would see it."""
    every = Ticket.all_tenants.reason("test: every tenant").values("tenant_id")
    with TenantTestContext(notes.b):
        assert sorted(Tenant.objects.filter(pk__in=every).values_list("slug", flat=True)) == [
            "acme",
            "globex",
        ]


def test_writes_through_a_subquery_touch_only_the_bound_tenant(notes: World) -> None:
    with TenantTestContext(notes.b):
        renamed = Tenant.objects.filter(pk__in=Ticket.objects.values("tenant_id")).update(
            name="seen by B"
        )
        deleted, _ = Note.objects.filter(tenant_id__in=Ticket.objects.values("tenant_id")).delete()
    assert renamed == 1
    assert deleted == 1
    assert sorted(Tenant.objects.values_list("slug", "name")) == [
        ("acme", "Acme"),
        ("globex", "seen by B"),
    ]
    assert list(Note.objects.values_list("text", flat=True)) == ["note of acme"]
    # A refused write marks the transaction for rollback: each in a savepoint of its own.
    with pytest.raises(TenantContextMissingError), transaction.atomic():
        Tenant.objects.filter(pk__in=Ticket.objects.values("tenant_id")).update(name="x")
    with pytest.raises(TenantContextMissingError), transaction.atomic():
        Note.objects.filter(tenant_id__in=Ticket.objects.values("tenant_id")).delete()
    assert Note.objects.count() == 1
