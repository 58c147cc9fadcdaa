"""Subqueries under row-level security, as the app role:
``python -m tests.rbac_rls.subquery_scenarios NAME [NAME ...]``.

The ORM wall is lifted (``unscoped``) or bypassed (raw SQL) on purpose: what these prove is
that PostgreSQL scopes the subquery on its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Exists, OuterRef, Subquery  # noqa: E402

from netrun.core.context import tenant_context  # noqa: E402
from netrun.errors import TenantContextMissingError  # noqa: E402
from netrun.rbac.models import Membership, Tenant  # noqa: E402
from netrun.rbac.scope import unscoped  # noqa: E402
from tests.rbac_rls.rlsapp.models import Project  # noqa: E402

A = "00000000-0000-0000-0000-0000000000a1"
B = "00000000-0000-0000-0000-0000000000b1"


def _per_tenant() -> Subquery:
    return Subquery(
        Project.objects.filter(tenant_id=OuterRef("pk"))
        .order_by()
        .values("tenant_id")
        .annotate(n=Count("pk"))
        .values("n")
    )


def _raw(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return sorted(str(row[0]) for row in cursor.fetchall())


FORMS: dict[str, Callable[[], Any]] = {
    "pk__in": lambda: sorted(
        Tenant.objects.filter(pk__in=Project.objects.values("tenant_id")).values_list(
            "slug", flat=True
        )
    ),
    "Exists": lambda: sorted(
        Tenant.objects.filter(Exists(Project.objects.filter(tenant_id=OuterRef("pk")))).values_list(
            "slug", flat=True
        )
    ),
    "Subquery": lambda: sorted(
        (slug, n)
        for slug, n in Tenant.objects.annotate(n=_per_tenant()).values_list("slug", "n")
        if n is not None
    ),
    "membership": lambda: sorted(
        Membership.objects.filter(tenant__in=Project.objects.values("tenant")).values_list(
            "user__username", flat=True
        )
    ),
    "raw IN": lambda: _raw(
        "SELECT slug FROM netrun_rbac_tenant WHERE id IN (SELECT tenant_id FROM rlsapp_project)"
    ),
    "raw EXISTS": lambda: _raw(
        "SELECT t.slug FROM netrun_rbac_tenant t WHERE EXISTS "
        "(SELECT 1 FROM rlsapp_project p WHERE p.tenant_id = t.id)"
    ),
}
SEEN = {
    "pk__in": (["sq-a"], ["sq-b"]),
    "Exists": (["sq-a"], ["sq-b"]),
    "Subquery": ([("sq-a", 2)], [("sq-b", 1)]),
    "membership": (["sq-alice"], ["sq-bob"]),
    "raw IN": (["sq-a"], ["sq-b"]),
    "raw EXISTS": (["sq-a"], ["sq-b"]),
}
#: Rows without a tenant the subqueries return when nothing is bound (RLS hides every row).
UNBOUND: dict[str, Any] = {"Subquery": []}

SCENARIOS: dict[str, Callable[[], None]] = {}


def scenario(fn: Callable[[], None]) -> Callable[[], None]:
    SCENARIOS[fn.__name__] = fn
    return fn


@scenario
def seed() -> None:
    Tenant.objects.bulk_create(
        [Tenant(id=A, slug="sq-a", name="SQ A"), Tenant(id=B, slug="sq-b", name="SQ B")]
    )
    users = get_user_model()
    for tenant, n, name in ((A, 2, "sq-alice"), (B, 1, "sq-bob")):
        Membership.objects.create(user=users.objects.create(username=name), tenant_id=tenant)
        with tenant_context(tenant):
            for i in range(n):
                Project.objects.create(title=f"sq {i}")


@scenario
def rls_scopes_subqueries() -> None:
    """With the ORM wall lifted, the database alone scopes every subquery form."""
    assert set(FORMS) == set(SEEN)
    for name, form in FORMS.items():
        seen_by_a, seen_by_b = SEEN[name]
        with unscoped(reason="test: the RLS wall alone"):
            with tenant_context(A):
                assert form() == seen_by_a, (name, form())
            with tenant_context(B):
                assert form() == seen_by_b, (name, form())
            with tenant_context(None):
                assert form() == UNBOUND.get(name, []), (name, form())


@scenario
def both_walls() -> None:
    """Through the ORM wall too: the same rows bound, an error unbound (never rows)."""
    for name, form in FORMS.items():
        if name.startswith("raw"):
            continue
        with tenant_context(A):
            assert form() == SEEN[name][0], (name, form())
        with tenant_context(None):
            try:
                form()
            except TenantContextMissingError:
                continue
            raise AssertionError(f"{name}: no TenantContextMissingError without a tenant")


def main(names: list[str]) -> None:
    for name in names:
        SCENARIOS[name]()
        print(f"PASS {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
