"""The testing kit: assert_tenant_isolation inspects queries; the contexts bind and restore."""

from __future__ import annotations

import asyncio
import threading

import pytest

from netrun.core.context import current_tenant_id, current_user_id
from netrun.errors import TenantContextMissingError
from netrun.rbac.scope import unscoped
from netrun.rbac.testing import (
    BackgroundTaskTenantContext,
    TenantTestContext,
    assert_tenant_isolation,
    tenant_constraints,
)
from tests._require import require_module
from tests.rbac.testapp.models import Note, Ticket

pytestmark = pytest.mark.django_db


def test_scoped_querysets_pass_inside_their_tenant_even_on_an_empty_table() -> None:
    with TenantTestContext("9b2f6c1e-0000-4000-8000-000000000001"):
        assert_tenant_isolation(
            Ticket.objects.filter(title="x"), "9b2f6c1e-0000-4000-8000-000000000001"
        )
        with pytest.raises(AssertionError, match="expected"):
            assert_tenant_isolation(Ticket.objects.all(), "9b2f6c1e-0000-4000-8000-000000000002")


def test_unconstrained_or_widened_queries_fail() -> None:
    with pytest.raises(AssertionError, match="no tenant is bound"):
        assert_tenant_isolation(Ticket.objects.all(), "t")
    with pytest.raises(AssertionError, match="every tenant"):
        assert_tenant_isolation(Ticket.all_tenants.all(), "t")
    with unscoped(reason="test"), pytest.raises(AssertionError, match="unscoped"):
        assert_tenant_isolation(Ticket.objects.all(), "t")


def test_plain_models_need_an_explicit_top_level_filter() -> None:
    from django.db.models import Q

    assert_tenant_isolation(Note.objects.filter(tenant_id="t-1", text="x"), "t-1")
    with pytest.raises(AssertionError, match="no top-level"):
        assert_tenant_isolation(Note.objects.filter(Q(tenant_id="t-1") | Q(text="x")), "t-1")
    with pytest.raises(AssertionError, match="no top-level"):
        assert_tenant_isolation(Note.objects.exclude(tenant_id="t-1"), "t-1")
    with pytest.raises(AssertionError, match="no top-level"):
        assert_tenant_isolation(Note.objects.all(), "t-1")
    with pytest.raises(TypeError):
        tenant_constraints(object())


def test_sqlalchemy_selects_when_installed() -> None:
    sqlalchemy = require_module("sqlalchemy")
    table = sqlalchemy.table("users", sqlalchemy.column("tenant_id"), sqlalchemy.column("email"))
    query = sqlalchemy.select(table).where(table.c.tenant_id == "tenant-123", table.c.email == "x")
    assert_tenant_isolation(query, expected_tenant_id="tenant-123")
    with pytest.raises(AssertionError):
        assert_tenant_isolation(sqlalchemy.select(table), "tenant-123")
    with pytest.raises(AssertionError):  # constrained to another tenant
        assert_tenant_isolation(query, expected_tenant_id="tenant-999")
    with pytest.raises(AssertionError):  # an OR does not constrain the tenant
        assert_tenant_isolation(
            sqlalchemy.select(table).where(
                sqlalchemy.or_(table.c.tenant_id == "tenant-123", table.c.email == "x")
            ),
            "tenant-123",
        )
    # A declared Table's columns (schema.Column) work the same way.
    metadata = sqlalchemy.MetaData()
    users = sqlalchemy.Table(
        "users2", metadata, sqlalchemy.Column("id", sqlalchemy.Integer, primary_key=True),
        sqlalchemy.Column("tenant_id", sqlalchemy.String),
    )  # fmt: skip
    assert_tenant_isolation(sqlalchemy.select(users).where(users.c.tenant_id == "t-7"), "t-7")


def test_contexts_bind_and_restore_sync_async_and_across_tasks() -> None:
    with TenantTestContext("a", user_id="u") as ctx:
        assert (ctx.tenant_id, current_tenant_id(), current_user_id()) == ("a", "a", "u")
        with BackgroundTaskTenantContext("b"):
            assert current_tenant_id() == "b"
        assert current_tenant_id() == "a"
    assert current_tenant_id() is None

    async def run() -> list[str | None]:
        seen = []
        async with BackgroundTaskTenantContext("c"):
            seen.append(await asyncio.create_task(_tenant()))
        async with TenantTestContext("d"):
            seen.append(current_tenant_id())
        seen.append(current_tenant_id())
        return seen

    assert asyncio.run(run()) == ["c", "d", None]

    seen: list[str | None] = []

    def worker() -> None:
        with BackgroundTaskTenantContext("e"):
            seen.append(current_tenant_id())
        seen.append(current_tenant_id())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == ["e", None]
    with pytest.raises(TenantContextMissingError):
        BackgroundTaskTenantContext(None)
    with pytest.raises(TenantContextMissingError):
        TenantTestContext("")


async def _tenant() -> str | None:
    return current_tenant_id()
