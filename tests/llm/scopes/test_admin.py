"""Scope budgets in the admin, through its real views: a tenant's staff see, add and change
only their tenant's budgets (by name), never another tenant's; the form names each bad field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.core.cache import cache

from netrun.llm.models import ScopeBudgetRecord, get_tenant_policy
from netrun.llm.policy import admin as policy_admin
from netrun.llm.policy.ledgers import default_ledger
from netrun.llm.policy.ledgers.base import period_window
from tests.llm.scopes.conftest import World

pytestmark = pytest.mark.django_db

BUDGETS = "/admin/netrun_llm/scopebudgetrecord/"


@pytest.fixture(autouse=True)
def empty_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def _form(tenant_id: str, **fields: str) -> dict[str, str]:
    return {
        "tenant_id": tenant_id,
        "kind": "user",
        "value": "99",
        "limit_usd": "2.50",
        "period": "day",
        "hours": "",
        "alert_thresholds": "",
        "enabled": "on",
        **fields,
    }


def _errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200  # the form again, not a redirect after a save
    form = response.context["adminform"].form
    return {field: list(messages) for field, messages in form.errors.items()}


def test_the_admin_registers_scope_budgets_with_their_admin() -> None:
    assert type(admin.site._registry[ScopeBudgetRecord]) is policy_admin.ScopeBudgetRecordAdmin


def test_staff_list_only_their_tenants_budgets_by_tenant_name(world: World) -> None:
    page = world.staff.get(BUDGETS)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 3
    html = page.content.decode()
    assert "Acme Corp" in html
    assert "Globex" not in html
    assert world.b not in html
    assert "every API key" in html  # the default limit of every key, by its scope
    # A search cannot reach another tenant's rows either.
    found = world.staff.get(BUDGETS, {"q": "globex"})
    assert found.context["cl"].result_count == 0


def test_a_superuser_sees_every_tenants_budgets(world: World) -> None:
    page = world.root.get(BUDGETS)
    assert page.context["cl"].result_count == 4
    html = page.content.decode()
    assert "Acme Corp" in html
    assert "Globex Corporation" in html
    # The tenant field offers every tenant, by name.
    add = world.root.get(f"{BUDGETS}add/").content.decode()
    assert "Globex Corporation" in add
    assert "Acme Corp" in add


def test_staff_cannot_open_change_or_delete_another_tenants_budget(world: World) -> None:
    url = f"{BUDGETS}{world.globex_user.pk}/change/"
    opened = world.staff.get(url)
    assert opened.status_code == 302  # "does not exist", back to the admin index
    posted = world.staff.post(url, _form(world.b, value="7", limit_usd="1000"))
    assert posted.status_code == 302
    world.staff.post(f"{BUDGETS}{world.globex_user.pk}/delete/", {"post": "yes"})
    world.staff.post(
        BUDGETS,
        {"action": "delete_selected", "_selected_action": [world.globex_user.pk], "post": "yes"},
    )
    world.globex_user.refresh_from_db()
    assert world.globex_user.limit_usd == Decimal("9")


def test_staff_cannot_add_a_budget_for_another_tenant_or_move_theirs(world: World) -> None:
    page = world.staff.get(f"{BUDGETS}add/")
    assert page.status_code == 200
    assert "Acme Corp" in page.content.decode()
    assert "Globex" not in page.content.decode()
    refused = world.staff.post(f"{BUDGETS}add/", _form(world.b))
    assert "Select a valid choice" in " ".join(_errors(refused)["tenant_id"])
    assert not ScopeBudgetRecord.objects.filter(tenant_id=world.b, value="99").exists()
    moved = world.staff.post(
        f"{BUDGETS}{world.acme_user.pk}/change/", _form(world.b, value="7", limit_usd="1")
    )
    assert "tenant_id" in _errors(moved)
    world.acme_user.refresh_from_db()
    assert world.acme_user.tenant_id == world.a


def test_staff_add_and_change_their_tenants_budgets_and_the_policy_follows(
    world: World,
) -> None:
    assert get_tenant_policy(world.a) is not None  # cached before the change
    added = world.staff.post(
        f"{BUDGETS}add/",
        _form(world.a, kind="tag", value="ticket-summary", period="day", alert_thresholds="80,50"),
    )
    assert added.status_code == 302
    record = ScopeBudgetRecord.objects.get(tenant_id=world.a, kind="tag", period="day")
    assert record.alert_thresholds == "50, 80"
    changed = world.staff.post(
        f"{BUDGETS}{world.acme_user.pk}/change/", _form(world.a, value="7", limit_usd="0.75")
    )
    assert changed.status_code == 302
    policy = get_tenant_policy(world.a)
    assert policy is not None
    limits = {(b.kind, b.value, b.period): b.limit_usd for b in policy.scope_budgets}
    assert limits[("tag", "ticket-summary", "day")] == Decimal("2.5")
    assert limits[("user", "7", "day")] == Decimal("0.75")


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"limit_usd": "0"}, "limit_usd", "more than 0 USD"),
        ({"period": "hours", "hours": ""}, "hours", "needs hours"),
        ({"period": "hours", "hours": "745"}, "hours", "less than or equal to 744"),
        ({"period": "week", "hours": "5"}, "hours", "leave it empty"),
        ({"kind": "tag", "value": "Not A Tag!"}, "value", "invalid LLM feature tag"),
        ({"alert_thresholds": "50, soon"}, "alert_thresholds", "'soon' is not a whole"),
    ],
)
def test_the_form_refuses_a_bad_value_naming_its_field(
    world: World, fields: dict[str, str], field: str, says: str
) -> None:
    refused = world.staff.post(f"{BUDGETS}add/", _form(world.a, **fields))
    errors = _errors(refused)
    assert list(errors) == [field]
    assert says in " ".join(errors[field])
    assert ScopeBudgetRecord.objects.filter(tenant_id=world.a).count() == 3


def test_the_form_refuses_a_second_budget_for_the_same_scope_and_period(world: World) -> None:
    refused = world.staff.post(f"{BUDGETS}add/", _form(world.a, value="7", limit_usd="5"))
    assert "already has this budget" in " ".join(_errors(refused)["__all__"])
    # Globex's user 7 has a daily budget too: that is another tenant, no conflict for acme.
    assert ScopeBudgetRecord.objects.filter(tenant_id=world.a, value="7").count() == 1


def test_the_list_shows_each_budgets_current_window_from_the_ledger(world: World) -> None:
    window = period_window(dt.datetime.now(dt.timezone.utc), "day", limit=1_000_000, scope="user:7")
    ledger = default_ledger()
    ledger.reserve(world.a, "r1", [window], 400_000, ttl=600)
    ledger.settle(world.a, "r1", [window], 250_000)
    html = world.staff.get(BUDGETS).content.decode()
    assert "0.25 / 1.00 USD" in html  # user 7 of acme: spent + held against its limit
    assert "each key separately" in html  # the default limit has a window per key
    every = world.root.get(BUDGETS).content.decode()
    assert every.count("0.25 / ") == 1
    assert "0.00 / 9.00 USD" in every  # globex's user 7: another tenant's window, untouched
