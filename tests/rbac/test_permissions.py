"""The permission API: roles, custom roles, tokens, Django perms, guardian, DRF, decisions logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import RequestFactory, override_settings
from rest_framework.request import Request

from netrun.errors import PermissionDeniedError, TenantAccessDeniedError
from netrun.logging.testing import capture_logs
from netrun.rbac import (
    PermissionChecker,
    RoleBackend,
    Subject,
    TokenPermissionsBackend,
    permission_matches,
)
from netrun.rbac.access import check_permission, has_permission, objects_for_user, subject_for
from netrun.rbac.backends import CasbinBackend, DjangoPermissionBackend, GuardianBackend
from netrun.rbac.context import TenantTestContext
from netrun.rbac.drf import HasObjectPermission, HasPermission, HasRole, IsTenantMember
from netrun.rbac.models import Role
from tests._require import require_module
from tests.rbac.conftest import World
from tests.rbac.testapp.models import Ticket

pytestmark = pytest.mark.django_db


def request_for(user: Any, auth: Any = None) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    if auth is not None:
        request.auth = auth
    return request


def test_core_checker_grants_vetoes_and_logs() -> None:
    checker = PermissionChecker([RoleBackend({"agent": ["helpdesk.*"]}), TokenPermissionsBackend()])
    agent = Subject(user_id="1", tenant_id="t", roles=frozenset({"agent"}))
    with capture_logs() as logs:
        assert checker.has_perm(agent, "helpdesk.view_ticket")
        assert not checker.has_perm(agent, "billing.view_invoice")
        assert not checker.has_perm(Subject(user_id=None, tenant_id="t"), "helpdesk.x")
    assert [e["allowed"] for e in logs if e["event"] == "rbac_decision"] == [True, False, False]
    assert logs[0]["subject_tenant_id"] == "t"
    with pytest.raises(PermissionDeniedError):
        checker.require(agent, "billing.view_invoice")
    token = Subject(user_id="2", tenant_id="t", permissions=frozenset({"billing.view_invoice"}))
    assert checker.require(token, "billing.view_invoice").backend == "TokenPermissionsBackend"

    class Veto:
        def has_perm(self, subject: Subject, perm: str, obj: Any = None) -> bool | None:
            return False

    assert (
        checker.__class__([*checker.backends, Veto()]).check(agent, "helpdesk.x").reason == "vetoed"
    )
    assert permission_matches("*", "a.b")
    assert not permission_matches("a.*", "b.c")


def test_roles_from_settings_membership_and_tenant_custom_roles(world: World) -> None:
    with TenantTestContext(world.a):
        assert has_permission(request_for(world.alice), "testapp.change_ticket")
        assert not has_permission(request_for(world.alice), "testapp.delete_ticket")
        Role.objects.create(tenant=world.a, name="agent", permissions=["testapp.delete_ticket"])
        assert has_permission(request_for(world.alice), "testapp.delete_ticket")
        # Bob is no member of A: nothing is granted there.
        assert (
            check_permission(world.bob, "testapp.view_ticket").reason
            == "not a member of the tenant"
        )
    with TenantTestContext(world.b):
        assert has_permission(world.bob, "testapp.view_ticket")
        assert not has_permission(world.bob, "testapp.change_ticket")


def test_token_claims_count_only_in_their_tenant(world: World) -> None:
    claims = {"sub": "77", "tenant_id": str(world.a.pk), "roles": ["admin"], "permissions": []}
    with TenantTestContext(world.a):
        subject = subject_for(request_for(AnonymousUser(), claims))
        assert subject.is_member
        assert "admin" in subject.roles
        assert has_permission(request_for(AnonymousUser(), claims), "anything.at_all")
    with TenantTestContext(world.b):
        assert not subject_for(request_for(AnonymousUser(), claims)).roles


def test_django_and_guardian_backends_and_tenant_veto(world: World) -> None:
    from guardian.shortcuts import assign_perm

    world.bob.user_permissions.add(Permission.objects.get(codename="delete_ticket"))
    bob = type(world.bob).objects.get(pk=world.bob.pk)
    with TenantTestContext(world.b):
        assert has_permission(bob, "testapp.delete_ticket")
        b_ticket = Ticket.objects.get()
        assert not has_permission(bob, "testapp.change_ticket", b_ticket)
        assign_perm("testapp.change_ticket", bob, b_ticket)
        assert has_permission(bob, "testapp.change_ticket", b_ticket)
        assert [t.pk for t in objects_for_user(bob, "testapp.change_ticket", Ticket)] == [
            b_ticket.pk
        ]
        assert list(objects_for_user(bob, "testapp.add_ticket", Ticket)) == []
        # Even a (forged) object permission on A's ticket never grants across tenants.
        decision = check_permission(bob, "testapp.delete_ticket", world.a_ticket)
        assert (decision.allowed, decision.reason) == (False, "vetoed")
    with TenantTestContext(world.a):
        assert list(
            objects_for_user(request_for(world.alice), "testapp.view_ticket", Ticket.objects.all())
        )
        assert list(objects_for_user(bob, "testapp.view_ticket", Ticket)) == []
    subject = Subject(user_id="1", tenant_id=None)
    assert DjangoPermissionBackend().has_perm(subject, "x.y") is None
    assert GuardianBackend().has_perm(subject, "x.y") is None


def test_casbin_backend_with_an_injected_enforcer() -> None:
    class Enforcer:
        def enforce(self, *request: str) -> bool:
            return request == ("7", "acme", "helpdesk", "summarize_ticket")

    backend = CasbinBackend(Enforcer())
    assert backend.has_perm(Subject(user_id="7", tenant_id="acme"), "helpdesk.summarize_ticket")
    assert (
        backend.has_perm(Subject(user_id="7", tenant_id="globex"), "helpdesk.summarize_ticket")
        is None
    )
    assert backend.has_perm(Subject(user_id=None, tenant_id="acme"), "x.y") is None


def test_casbin_backend_without_pycasbin_names_the_missing_dependency(
    hide_modules: Callable[..., None],
) -> None:
    from netrun.core.deps import MissingDependencyError

    hide_modules("casbin")
    with pytest.raises(MissingDependencyError):
        CasbinBackend().has_perm(Subject(user_id="7", tenant_id="acme"), "helpdesk.x")


def test_casbin_backend_loads_its_model_and_policy_lazily(tmp_path: Any) -> None:
    require_module("casbin", install="pip install 'netrun[casbin]'")
    model = tmp_path / "model.conf"
    model.write_text(
        "[request_definition]\nr = sub, dom, obj, act\n[policy_definition]\np = sub, dom, obj, act\n"
        "[role_definition]\ng = _, _, _\n[policy_effect]\ne = some(where (p.eft == allow))\n"
        "[matchers]\nm = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act\n"
    )
    policy = tmp_path / "policy.csv"
    policy.write_text("p, agent, acme, helpdesk, summarize_ticket\ng, 7, agent, acme\n")
    with override_settings(
        NETRUN_RBAC_CASBIN_MODEL=str(model), NETRUN_RBAC_CASBIN_POLICY=str(policy)
    ):
        assert CasbinBackend().has_perm(
            Subject(user_id="7", tenant_id="acme"), "helpdesk.summarize_ticket"
        )
        assert (
            CasbinBackend().has_perm(
                Subject(user_id="7", tenant_id="globex"), "helpdesk.summarize_ticket"
            )
            is None
        )


def test_drf_permission_classes(world: World) -> None:
    view = object()
    alice, bob = Request(request_for(world.alice)), Request(request_for(world.bob))
    for drf_request, user in ((alice, world.alice), (bob, world.bob)):
        drf_request.user, drf_request.auth = user, None  # as if DRF had authenticated
    with TenantTestContext(world.a):
        assert IsTenantMember().has_permission(alice, view)
        with pytest.raises(TenantAccessDeniedError):
            IsTenantMember().has_permission(bob, view)
        assert HasRole("agent")().has_permission(alice, view)
        with pytest.raises(PermissionDeniedError):
            HasRole("admin")().has_permission(alice, view)
        assert HasPermission("testapp.view_ticket")().has_permission(alice, view)
        with pytest.raises(PermissionDeniedError):
            HasPermission("testapp.delete_ticket")().has_permission(alice, view)
        ticket = Ticket.objects.get()
        assert HasObjectPermission("testapp.change_ticket")().has_object_permission(
            alice, view, ticket
        )
        with pytest.raises(TenantAccessDeniedError):
            IsTenantMember().has_object_permission(alice, view, world.b_ticket)
    assert HasRole("admin").__name__ == "HasRole(admin)"
