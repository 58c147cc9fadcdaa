"""A request that names no tenant is told so (400 ``TENANT_REQUIRED``), not "not a member".

Through the real stack: ``TenantMiddleware`` then DRF's ``IsTenantMember`` (the ticket API)
and the ``tenant_member_required`` decorator (``/whoami/``), with the test client.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from netrun.errors import TenantAccessDeniedError, TenantRequiredError
from netrun.rbac._permissions import Subject, require_member, tenant_naming
from tests.rbac.conftest import World

pytestmark = pytest.mark.django_db


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize("path", ["/api/tickets/", "/whoami/"])
def test_no_tenant_named_is_a_400_that_says_how_to_name_one(world: World, path: str) -> None:
    response = _client(world.alice).get(path, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "TENANT_REQUIRED"
    assert "names no tenant" in error["message"]
    assert "the X-Tenant-ID header" in error["message"]
    assert "not a member" not in error["message"]


@pytest.mark.parametrize("path", ["/api/tickets/", "/whoami/"])
def test_a_tenant_the_user_is_not_a_member_of_is_still_a_403(world: World, path: str) -> None:
    # bob is a member of globex only.
    response = _client(world.bob).get(path, HTTP_X_TENANT_ID="acme", HTTP_ACCEPT="application/json")  # fmt: skip
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "TENANT_ACCESS_DENIED"


def test_a_member_naming_the_tenant_gets_through(world: World) -> None:
    response = _client(world.alice).get("/whoami/", HTTP_X_TENANT_ID="acme")
    assert response.status_code == 200
    assert response.json()["tenant_id"] == str(world.a.pk)


@override_settings(
    NETRUN_RBAC_TENANT_STRATEGIES=["jwt", "subdomain"],
    NETRUN_RBAC_SUBDOMAIN_BASE="example.com",
)
def test_the_message_follows_the_configured_strategies(world: World) -> None:
    response = _client(world.alice).get("/api/tickets/", HTTP_HOST="example.com")
    error = response.json()["error"]
    assert error["message"] == (
        "This request names no tenant. Name one with a token with a tenant_id claim or a "
        "subdomain of example.com."
    )
    assert error["details"]["ways"] == [
        "a token with a tenant_id claim",
        "a subdomain of example.com",
    ]


def test_require_member_core() -> None:
    with pytest.raises(TenantRequiredError) as no_tenant:
        require_member(Subject(user_id="7", tenant_id=None), naming=["the X-Tenant-ID header"])
    assert no_tenant.value.status_code == 400
    assert str(no_tenant.value.message).endswith("Name one with the X-Tenant-ID header.")
    with pytest.raises(TenantAccessDeniedError):
        require_member(Subject(user_id="7", tenant_id="acme", is_member=False))
    require_member(Subject(user_id="7", tenant_id="acme", is_member=True))
    require_member(Subject(user_id="7", tenant_id="acme", is_superuser=True))
    assert tenant_naming(["header", "subdomain"], header="X-Org") == [
        "the X-Org header (the tenant's ID or slug)"
    ]
