"""The LLM admin through its real views: a tenant's staff see and change only their tenant's
policies and spend, never another tenant's, and never the global price overrides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory

from netrun.llm import admin as llm_admin
from netrun.llm.admin_dashboard import llm_dashboard_view
from netrun.llm.models import BudgetSpend, Dashboard, LLMPriceOverride, TenantPolicyRecord
from netrun.llm.policy import admin as policy_admin
from netrun.llm.telemetry import admin as telemetry_admin
from netrun.rbac.models import Membership, Tenant

pytestmark = pytest.mark.django_db

POLICIES = "/admin/netrun_llm/tenantpolicyrecord/"
SPEND = "/admin/netrun_llm/budgetspend/"
PRICES = "/admin/netrun_llm/llmpriceoverride/"


@dataclass
class World:
    acme: Any
    globex: Any
    acme_policy: TenantPolicyRecord
    globex_policy: TenantPolicyRecord
    price: LLMPriceOverride
    staff: Client  # staff of acme with every netrun_llm model permission
    root: Client  # a superuser


def _policy_form(tenant_id: str, daily: str, **extra: str) -> dict[str, str]:
    return {
        "tenant_id": tenant_id,
        "daily_budget_usd": daily,
        "monthly_budget_usd": "",
        "timezone": "UTC",
        "provider_rules-TOTAL_FORMS": "0",
        "provider_rules-INITIAL_FORMS": "0",
        "provider_rules-MIN_NUM_FORMS": "0",
        "provider_rules-MAX_NUM_FORMS": "1000",
        **extra,
    }


def _price_form(price: LLMPriceOverride, output: str) -> dict[str, str]:
    return {
        "provider": price.provider,
        "model": price.model,
        "effective_from": price.effective_from.isoformat(),
        "note": "",
        "input_per_mtok": str(price.input_per_mtok),
        "output_per_mtok": output,
        "cache_read_per_mtok": "",
        "cache_write_per_mtok": "",
        "long_context_threshold": "",
        "long_context_input_per_mtok": "",
        "long_context_output_per_mtok": "",
        "long_context_cache_read_per_mtok": "",
        "long_context_cache_write_per_mtok": "",
    }


@pytest.fixture
def world(django_user_model: Any) -> World:
    acme = Tenant.objects.create(slug="acme", name="Acme Corp")
    globex = Tenant.objects.create(slug="globex", name="Globex Corporation")
    acme_policy = TenantPolicyRecord.objects.create(
        tenant_id=str(acme.pk), daily_budget_usd=Decimal("0.05")
    )
    globex_policy = TenantPolicyRecord.objects.create(
        tenant_id=str(globex.pk), daily_budget_usd=Decimal("0.07")
    )
    today = dt.date.today()
    BudgetSpend.objects.create(
        tenant_id=str(acme.pk), period="day", period_start=today, spent_micros=1_230_000
    )
    BudgetSpend.objects.create(
        tenant_id=str(globex.pk), period="day", period_start=today, spent_micros=4_560_000
    )
    price = LLMPriceOverride.objects.create(
        provider="openai",
        model="gpt-4o",
        effective_from=dt.date(2025, 1, 1),
        input_per_mtok=Decimal("2.50"),
        output_per_mtok=Decimal("10.00"),
    )
    user = django_user_model.objects.create_user("acme-staff", password="pw", is_staff=True)
    Membership.objects.create(user=user, tenant=acme, role="admin")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="netrun_llm"))
    staff = Client()
    staff.force_login(user)
    root = Client()
    root.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    return World(acme, globex, acme_policy, globex_policy, price, staff, root)


def _budget(policy: TenantPolicyRecord) -> Decimal | None:
    policy.refresh_from_db()
    return policy.daily_budget_usd


# ----------------------------------------------------------------------------- policies


def test_staff_list_only_their_tenants_policy(world: World) -> None:
    page = world.staff.get(POLICIES)
    assert page.status_code == 200
    assert "Acme Corp" in page.content.decode()  # by name
    assert "Globex" not in page.content.decode()
    assert page.context["cl"].result_count == 1


def test_staff_cannot_open_or_change_another_tenants_policy(world: World) -> None:
    url = f"{POLICIES}{world.globex_policy.pk}/change/"
    opened = world.staff.get(url)
    assert opened.status_code == 302  # "does not exist", back to the admin index
    assert str(world.globex.pk) not in world.staff.get(opened["Location"]).content.decode()
    posted = world.staff.post(url, _policy_form(str(world.globex.pk), "1000"))
    assert posted.status_code == 302
    assert _budget(world.globex_policy) == Decimal("0.07")


def test_staff_change_their_tenants_policy_but_cannot_move_it_to_another(world: World) -> None:
    url = f"{POLICIES}{world.acme_policy.pk}/change/"
    page = world.staff.get(url)
    assert page.status_code == 200
    # The tenant field offers the user's tenants only, by name.
    assert "Acme Corp" in page.content.decode()
    assert "Globex" not in page.content.decode()
    moved = world.staff.post(url, _policy_form(str(world.globex.pk), "1000"))
    assert moved.status_code == 200
    assert "Select a valid choice" in moved.content.decode()
    assert _budget(world.acme_policy) == Decimal("0.05")
    saved = world.staff.post(url, _policy_form(str(world.acme.pk), "0.50"))
    assert saved.status_code == 302
    assert _budget(world.acme_policy) == Decimal("0.50")


def test_staff_cannot_add_a_policy_for_another_tenant(world: World) -> None:
    world.acme_policy.delete()
    assert world.staff.get(f"{POLICIES}add/").status_code == 200
    refused = world.staff.post(f"{POLICIES}add/", _policy_form(str(world.globex.pk), "1000"))
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert TenantPolicyRecord.objects.count() == 1
    added = world.staff.post(f"{POLICIES}add/", _policy_form(str(world.acme.pk), "0.10"))
    assert added.status_code == 302
    assert TenantPolicyRecord.objects.get(tenant_id=str(world.acme.pk)).daily_budget_usd == (
        Decimal("0.10")
    )


def test_staff_cannot_delete_another_tenants_policy(world: World) -> None:
    response = world.staff.post(f"{POLICIES}{world.globex_policy.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    world.staff.post(
        POLICIES,
        {
            "action": "delete_selected",
            "_selected_action": [world.globex_policy.pk],
            "post": "yes",
        },
    )
    assert TenantPolicyRecord.objects.filter(pk=world.globex_policy.pk).exists()


def test_staff_without_a_membership_see_no_policy_and_cannot_add(
    world: World, django_user_model: Any
) -> None:
    loner = django_user_model.objects.create_user("loner", password="pw", is_staff=True)
    loner.user_permissions.add(*Permission.objects.filter(content_type__app_label="netrun_llm"))
    client = Client()
    client.force_login(loner)
    assert client.get(POLICIES).context["cl"].result_count == 0
    assert client.get(f"{POLICIES}add/").status_code == 403


def test_a_superuser_sees_and_changes_every_tenants_policy(world: World) -> None:
    page = world.root.get(POLICIES)
    assert page.context["cl"].result_count == 2
    url = f"{POLICIES}{world.globex_policy.pk}/change/"
    assert world.root.get(url).status_code == 200
    saved = world.root.post(url, _policy_form(str(world.globex.pk), "2"))
    assert saved.status_code == 302
    assert _budget(world.globex_policy) == Decimal("2")


# ----------------------------------------------------------------------------- spend


def test_staff_see_only_their_tenants_spend(world: World) -> None:
    page = world.staff.get(SPEND)
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert "Acme Corp" in page.content.decode()  # by name
    assert "Globex" not in page.content.decode()
    globex_row = BudgetSpend.objects.get(tenant_id=str(world.globex.pk))
    assert world.staff.get(f"{SPEND}{globex_row.pk}/change/").status_code == 302
    assert world.root.get(SPEND).context["cl"].result_count == 2


def test_spend_rows_are_read_only_for_everyone(world: World) -> None:
    row = BudgetSpend.objects.get(tenant_id=str(world.acme.pk))
    for client in (world.staff, world.root):
        assert client.get(f"{SPEND}add/").status_code == 403
        client.post(f"{SPEND}{row.pk}/change/", {"spent_micros": "0"})
    row.refresh_from_db()
    assert row.spent_micros == 1_230_000


# ----------------------------------------------------------------------------- prices


def test_staff_may_view_global_prices_but_never_change_add_or_delete_them(world: World) -> None:
    assert world.staff.get(PRICES).status_code == 200
    url = f"{PRICES}{world.price.pk}/change/"
    view = world.staff.get(url)
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()  # the read-only page
    assert world.staff.post(url, _price_form(world.price, "0.01")).status_code == 403
    assert world.staff.get(f"{PRICES}add/").status_code == 403
    added = world.staff.post(f"{PRICES}add/", _price_form(world.price, "0.01"))
    assert added.status_code == 403
    assert world.staff.post(f"{PRICES}{world.price.pk}/delete/", {"post": "yes"}).status_code == 403
    world.price.refresh_from_db()
    assert world.price.output_per_mtok == Decimal("10.00")
    assert LLMPriceOverride.objects.count() == 1


def test_a_superuser_changes_global_prices(world: World) -> None:
    url = f"{PRICES}{world.price.pk}/change/"
    assert 'name="_save"' in world.root.get(url).content.decode()
    assert world.root.post(url, _price_form(world.price, "12.00")).status_code == 302
    world.price.refresh_from_db()
    assert world.price.output_per_mtok == Decimal("12.00")


# ----------------------------------------------------------------------------- dashboard


def _dashboard(user: Any, query: str = "") -> str:
    request = RequestFactory().get(f"/admin/llm/dashboard/{query}")
    request.user = user
    response = llm_dashboard_view(request)
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_shows_staff_their_only_tenant_without_one_bound(
    world: World, django_user_model: Any
) -> None:
    staff = django_user_model.objects.get(username="acme-staff")
    html = _dashboard(staff, f"?tenant={world.globex.pk}")
    assert 'data-tenant="Acme Corp"' in html
    assert str(world.globex.pk) not in html.replace(f'value="{world.globex.pk}"', "")
    # A second membership: which tenant is meant is unknown, so nothing is shown.
    Membership.objects.create(user=staff, tenant=world.globex, role="admin")
    html = _dashboard(staff)
    assert "nothing to show" in html
    assert str(world.acme.pk) not in html


def test_without_netrun_rbac_only_superusers_see_llm_rows(
    world: World, django_user_model: Any
) -> None:
    # The admin a project without netrun.rbac gets: no membership tells a staff user's tenant.
    model_admin = policy_admin._SuperuserRowsAdmin(TenantPolicyRecord, admin.site)
    staff_request = RequestFactory().get("/")
    staff_request.user = django_user_model.objects.get(username="acme-staff")
    root_request = RequestFactory().get("/")
    root_request.user = django_user_model.objects.get(username="root")
    assert model_admin.get_queryset(staff_request).count() == 0
    assert model_admin.get_queryset(root_request).count() == 2
    for check in ("view", "change", "delete"):
        method = getattr(model_admin, f"has_{check}_permission")
        assert method(staff_request, world.acme_policy) is False
        assert method(root_request, world.acme_policy) is True
    assert model_admin.has_add_permission(staff_request) is False
    assert model_admin.has_add_permission(root_request) is True


def test_the_admin_registers_each_model_with_its_features_admin() -> None:
    registered = {
        TenantPolicyRecord: policy_admin.TenantPolicyRecordAdmin,
        BudgetSpend: policy_admin.BudgetSpendAdmin,
        LLMPriceOverride: policy_admin.LLMPriceOverrideAdmin,
        Dashboard: telemetry_admin.DashboardAdmin,
    }
    for model, model_admin in registered.items():
        assert type(admin.site._registry[model]) is model_admin
        # The names netrun.llm.admin exported before 2.1 are the feature modules' own.
        assert getattr(llm_admin, model_admin.__name__) is model_admin
    assert llm_admin.spend_bar is policy_admin.spend_bar
    assert llm_admin.TenantNameMixin is policy_admin.TenantNameMixin
