"""The scope budgets' read API through the real stack (TenantMiddleware, DRF, netrun's error
envelope): a member reads their tenant's budgets and windows, never another tenant's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from netrun.llm.models import TenantPolicyRecord
from netrun.llm.policy.ledgers import default_ledger
from netrun.llm.policy.ledgers.base import period_window
from tests.llm.scopes.conftest import World

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.llm.scopes.urls")]

URL = "/api/llm/scope-budgets/"
# As the example project authenticates its API: bearer tokens first, then the session.
API_SETTINGS = {
    "EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "netrun.errors.drf.ContentNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "netrun.auth.drf.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}


@pytest.fixture(autouse=True)
def api_settings() -> Iterator[None]:
    cache.clear()
    with override_settings(REST_FRAMEWORK=API_SETTINGS):
        yield
    cache.clear()


def _get(client: Client, tenant: str | None) -> Any:
    headers = {"HTTP_ACCEPT": "application/json"}
    if tenant is not None:
        headers["HTTP_X_TENANT_ID"] = tenant
    return client.get(URL, **headers)


def _by_value(body: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(row["kind"], row["value"]): row for row in body["results"]}


def test_a_member_reads_their_tenants_budgets_and_never_another_tenants(world: World) -> None:
    response = _get(world.staff, "acme")
    assert response.status_code == 200
    body = response.json()
    assert body["tenant_id"] == world.a
    rows = _by_value(body)
    assert set(rows) == {("user", "7"), ("tag", "ticket-summary"), ("key", None)}
    assert world.globex_user.pk not in {row["id"] for row in body["results"]}
    assert "9.0000" not in response.content.decode()  # globex's limit for its user 7
    user = rows[("user", "7")]
    assert (user["limit_usd"], user["period"], user["hours"]) == ("1.0000", "day", None)
    tag = rows[("tag", "ticket-summary")]
    assert (tag["period"], tag["hours"], tag["alert_thresholds"]) == ("hours", 5, [50, 80])
    assert rows[("key", None)]["window"] is None  # every key has a window of its own
    assert rows[("key", None)]["alert_thresholds"] is None


def test_each_budget_reports_its_current_window_from_the_configured_ledger(
    world: World,
) -> None:
    TenantPolicyRecord.objects.create(tenant_id=world.a, timezone="Asia/Tokyo")
    now = dt.datetime.now(dt.timezone.utc)
    window = period_window(now, "day", limit=1_000_000, timezone="Asia/Tokyo", scope="user:7")
    ledger = default_ledger()
    ledger.reserve(world.a, "r1", [window], 300_000, ttl=600)
    ledger.settle(world.a, "r1", [window], 200_000)
    ledger.reserve(world.a, "r2", [window], 150_000, ttl=600)
    # Globex's user 7 spends too: in globex's ledger rows, never in acme's answer.
    ledger.reserve(world.b, "g1", [window], 900_000, ttl=600)
    user = _by_value(_get(world.staff, "acme").json())[("user", "7")]["window"]
    assert user["scope"] == "user:7"
    assert user["start"] == window.start.isoformat()  # the day in the tenant's time zone
    assert dt.datetime.fromisoformat(user["resets_at"].replace("Z", "+00:00")) == window.resets_at
    assert (user["spent_usd"], user["reserved_usd"]) == ("0.200000", "0.150000")
    assert (user["limit_usd"], user["remaining_usd"]) == ("1.000000", "0.650000")
    tag = _by_value(_get(world.staff, "acme").json())[("tag", "ticket-summary")]["window"]
    resets = dt.datetime.fromisoformat(tag["resets_at"].replace("Z", "+00:00"))
    assert resets.timestamp() % (5 * 3600) == 0  # 5-hour windows counted from the epoch
    assert resets - dt.timedelta(hours=5) <= now < resets
    assert tag["spent_usd"] == "0.000000"


def test_a_member_naming_another_tenant_is_refused(world: World) -> None:
    response = _get(world.staff, "globex")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "TENANT_ACCESS_DENIED"
    assert world.b not in response.content.decode().replace(f'"{world.b}"', "")
    assert "9.0000" not in response.content.decode()


def test_without_credentials_it_is_a_401_that_says_how_to_authenticate(world: World) -> None:
    response = _get(Client(), None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_ERROR"
    assert response["WWW-Authenticate"].startswith("Bearer")
    # Naming a tenant without credentials: TenantMiddleware refuses before the view.
    named = _get(Client(), "acme")
    assert named.status_code == 403
    assert "results" not in named.json()


def test_without_a_tenant_it_is_a_400_tenant_required(world: World) -> None:
    response = _get(world.staff, None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "TENANT_REQUIRED"


def test_a_member_of_the_other_tenant_reads_only_theirs(
    world: World, django_user_model: Any
) -> None:
    from netrun.rbac.models import Membership

    bob = django_user_model.objects.create_user("globex-member", password="pw")
    Membership.objects.create(user=bob, tenant=world.globex, role="member")
    client = Client()
    client.force_login(bob)
    rows = _by_value(_get(client, "globex").json())
    assert set(rows) == {("user", "7")}
    assert rows[("user", "7")]["id"] == world.globex_user.pk
    assert rows[("user", "7")]["limit_usd"] == "9.0000"
    assert _get(client, "acme").status_code == 403


def test_writes_are_not_allowed(world: World) -> None:
    response = world.staff.post(URL, {}, HTTP_X_TENANT_ID="acme", HTTP_ACCEPT="application/json")
    assert response.status_code == 405
    deleted = world.staff.delete(URL, HTTP_X_TENANT_ID="acme", HTTP_ACCEPT="application/json")
    assert deleted.status_code == 405
