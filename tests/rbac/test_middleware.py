"""TenantMiddleware and the API: strategies, 404/403 envelopes, ID guessing, sync and async."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, RequestFactory, override_settings

from netrun.core.context import current_tenant_id, tenant_context
from netrun.rbac.middleware import TenantMiddleware, lookup_tenant
from tests.rbac.conftest import World
from tests.rbac.testapp.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_header_binds_the_tenant_for_a_member(world: World) -> None:
    response = client_for(world.bob).get("/whoami/", HTTP_X_TENANT_ID=str(world.b.pk))
    assert response.status_code == 200
    assert response.json() == {"tenant_id": str(world.b.pk), "count": 1}
    by_slug = client_for(world.bob).get("/whoami/", HTTP_X_TENANT_ID="globex")
    assert by_slug.json()["tenant_id"] == str(world.b.pk)  # canonical ID, not the slug
    assert current_tenant_id() is None  # restored after the request


def test_tenant_resolved_is_sent_inside_the_tenant(world: World) -> None:
    from netrun.rbac.signals import tenant_resolved

    seen: list[tuple[str | None, object]] = []

    def receiver(sender: object, request: HttpRequest, tenant: object, **kwargs: object) -> None:
        seen.append((current_tenant_id(), tenant))

    tenant_resolved.connect(receiver)
    try:
        client_for(world.bob).get("/whoami/", HTTP_X_TENANT_ID="globex")
    finally:
        tenant_resolved.disconnect(receiver)
    assert seen == [(str(world.b.pk), world.b)]


def _refusal(response: Any) -> tuple[int, dict[str, Any]]:
    error = dict(response.json()["error"])
    error.pop("correlation_id")
    return response.status_code, error


@pytest.mark.parametrize("as_user", [False, True])
def test_unknown_and_foreign_tenants_get_the_same_answer(world: World, as_user: bool) -> None:
    """No enumeration by X-Tenant-ID: an unknown tenant and another's answer alike."""
    client = client_for(world.bob) if as_user else Client()
    unknown = client.get("/whoami/", HTTP_X_TENANT_ID="nope")
    existing = client.get("/whoami/", HTTP_X_TENANT_ID="acme")
    by_id = client.get("/whoami/", HTTP_X_TENANT_ID=str(world.a.pk))
    assert _refusal(unknown) == _refusal(existing) == _refusal(by_id)
    assert _refusal(unknown) == (
        403,
        {
            "code": "TENANT_ACCESS_DENIED",
            "message": "You do not have access to this tenant.",
            "details": {},
        },
    )


def test_a_non_member_gets_403(world: World) -> None:
    response = client_for(world.bob).get("/whoami/", HTTP_X_TENANT_ID=str(world.a.pk))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "TENANT_ACCESS_DENIED"
    anonymous = Client().get("/whoami/", HTTP_X_TENANT_ID="acme")
    assert anonymous.status_code == 403


def test_an_inactive_tenant_gets_403(world: World) -> None:
    type(world.b).objects.filter(pk=world.b.pk).update(is_active=False)
    response = client_for(world.bob).get("/whoami/", HTTP_X_TENANT_ID="globex")
    assert response.status_code == 403
    assert "inactive" in response.json()["error"]["message"]


def test_subdomain_and_session_strategies(world: World) -> None:
    client = client_for(world.alice)
    assert client.get("/whoami/", HTTP_HOST="acme.example.com").json()["count"] == 1
    assert client.get("/whoami/", HTTP_HOST="globex.example.com").status_code == 403
    session = client.session
    session["netrun_tenant_id"] = str(world.a.pk)
    session.save()
    assert client.get("/whoami/").json()["tenant_id"] == str(world.a.pk)


def test_two_strategies_naming_different_tenants_is_403(world: World) -> None:
    client = client_for(world.alice)
    response = client.get("/whoami/", HTTP_HOST="acme.example.com", HTTP_X_TENANT_ID="globex")
    assert response.status_code == 403


def test_jwt_claims_are_trusted_and_checked_for_conflicts(world: World) -> None:
    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["tenant"] = current_tenant_id()
        return HttpResponse("ok")

    middleware = TenantMiddleware(view)
    request = RequestFactory().get("/")
    request.auth = {"sub": "9", "tenant_id": "acme"}  # type: ignore[attr-defined]
    with tenant_context("acme"):  # what JWTAuthenticationMiddleware bound: the raw claim
        assert middleware(request).status_code == 200  # type: ignore[union-attr]
    assert seen["tenant"] == str(world.a.pk)
    conflicting = RequestFactory().get("/", HTTP_X_TENANT_ID="globex")
    conflicting.auth = {"sub": "9", "tenant_id": "acme"}  # type: ignore[attr-defined]
    assert middleware(conflicting).status_code == 403  # type: ignore[union-attr]
    netrun_auth = RequestFactory().get("/")
    netrun_auth.netrun_auth = (None, {"tenant_id": str(world.b.pk)})  # type: ignore[attr-defined]
    middleware(netrun_auth)
    assert seen["tenant"] == str(world.b.pk)


def test_no_tenant_named_runs_with_none_and_scoped_views_fail_closed(world: World) -> None:
    # Refused as naming no tenant (400 TENANT_REQUIRED), not as "not a member" (403).
    assert client_for(world.bob).get("/whoami/").status_code == 400
    assert client_for(world.bob).get("/api/tickets/").status_code == 400


@override_settings(NETRUN_RBAC_EXEMPT_PATHS=[r"^/whoami/"])
def test_exempt_paths_skip_resolution(world: World) -> None:
    response = client_for(world.bob).get("/whoami/", HTTP_X_TENANT_ID="nope")
    # Not 404: resolution skipped, so no tenant is named and the decorator refuses that.
    assert response.status_code == 400


def test_api_id_guessing_never_reaches_another_tenant(world: World) -> None:
    client = client_for(world.bob)
    headers = {"HTTP_X_TENANT_ID": str(world.b.pk)}
    url = f"/api/tickets/{world.a_ticket.pk}/"
    assert client.get(url, **headers).status_code == 404
    assert (
        client.patch(
            url, {"title": "pwned"}, content_type="application/json", **headers
        ).status_code
        == 404
    )
    assert client.delete(url, **headers).status_code == 404
    listing = client.get("/api/tickets/", **headers).json()
    assert [t["title"] for t in listing] == ["B ticket"]
    created = client.post(
        "/api/tickets/", {"title": "new"}, content_type="application/json", **headers
    )
    assert created.status_code == 201
    with tenant_context(str(world.a.pk)):
        assert list(Ticket.objects.values_list("title", flat=True)) == ["A secret"]


def test_async_views_get_the_tenant_and_restore_it(world: World) -> None:
    async def run() -> Any:
        client = AsyncClient()
        await client.aforce_login(world.alice)
        response = await client.get("/async-whoami/", headers={"X-Tenant-ID": "acme"})
        denied = await client.get("/async-whoami/", headers={"X-Tenant-ID": "globex"})
        return response.status_code, response.json(), denied.status_code, current_tenant_id()

    status, body, denied, after = asyncio.run(run())
    assert (status, body["titles"], denied, after) == (200, ["A secret"], 403, None)


def test_role_decorator(world: World) -> None:
    assert client_for(world.alice).get("/agents-only/", HTTP_X_TENANT_ID="acme").status_code == 200
    assert client_for(world.bob).get("/agents-only/", HTTP_X_TENANT_ID="globex").status_code == 403


def test_lookup_tenant_by_id_or_slug(world: World) -> None:
    assert lookup_tenant(str(world.a.pk)) == world.a
    assert lookup_tenant("globex") == world.b
    assert lookup_tenant("missing") is None


def test_a_token_naming_an_unknown_tenant_is_a_404(world: World) -> None:
    from netrun.errors import ResourceNotFoundError
    from netrun.rbac.middleware import resolve_tenant

    request = RequestFactory().get("/whoami/")
    request.auth = {"tenant_id": "nope"}  # type: ignore[attr-defined]
    with pytest.raises(ResourceNotFoundError):
        resolve_tenant(request)
