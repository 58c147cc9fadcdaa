"""Policies edited in the admin become cached TenantPolicy objects, invalidated on change."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from netrun.llm.admin import spend_bar
from netrun.llm.models import (
    BudgetSpend,
    ProviderRule,
    TenantPolicyRecord,
    get_tenant_policy,
)
from netrun.llm.policy import CostTier, PolicyEnforcer
from netrun.llm.policy.ledgers.django import DjangoLedger

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def make_record() -> TenantPolicyRecord:
    record = TenantPolicyRecord.objects.create(
        tenant_id="acme", daily_budget_usd=Decimal("2.50"), monthly_budget_usd=Decimal(50)
    )
    ProviderRule.objects.create(
        policy=record,
        provider="openai",
        allowed_models="gpt-4o-mini\ngpt-4o",
        denied_models="gpt-4o-2024-05-13",
        max_cost_per_request=Decimal("1.00"),
        rate_limit_rpm=60,
        cost_tier_limit=CostTier.MEDIUM,
    )
    return record


def test_a_record_builds_the_tenant_policy() -> None:
    make_record()
    policy = get_tenant_policy("acme")
    assert policy is not None
    assert policy.daily_budget == Decimal("2.50")
    rule = policy.provider_policy("openai")
    assert rule is not None
    assert rule.allowed_models == ("gpt-4o-mini", "gpt-4o")
    assert rule.cost_tier_limit is CostTier.MEDIUM
    assert get_tenant_policy("nobody") is None
    assert get_tenant_policy("nobody") is None  # the cached "none"


def test_the_cached_policy_is_dropped_when_a_rule_or_the_record_changes(
    django_assert_num_queries: object,
) -> None:
    record = make_record()
    get_tenant_policy("acme")
    with django_assert_num_queries(0):  # type: ignore[operator]
        get_tenant_policy("acme")
    rule = record.provider_rules.get()
    rule.rate_limit_rpm = 5
    rule.save()
    assert get_tenant_policy("acme").provider_policy("openai").rate_limit_rpm == 5  # type: ignore[union-attr]
    record.fallback_to_local = True
    record.save()
    assert get_tenant_policy("acme").fallback_to_local is True  # type: ignore[union-attr]
    record.delete()
    assert get_tenant_policy("acme") is None


def test_admin_shows_spend_as_progress_bars_and_logs_changes() -> None:
    record = make_record()
    enforcer = PolicyEnforcer(get_tenant_policy("acme"), ledger=DjangoLedger())  # type: ignore[arg-type]
    reservation = enforcer.reserve(
        provider="openai",
        model="gpt-4o",
        estimated_input_tokens=100_000,
        max_output_tokens=10_000,
        reason="report",
    )
    reservation.settle(type("U", (), {"input_tokens": 100_000, "output_tokens": 10_000})())
    assert BudgetSpend.objects.get(tenant_id="acme", period="day").spent_usd == Decimal("0.35")

    admin = User.objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/netrun_llm/tenantpolicyrecord/").content.decode()
    assert '<progress value="14" max="100"' in page  # $0.35 of $2.50
    assert "0.35 / 2.50 USD" in page
    change_url = f"/admin/netrun_llm/tenantpolicyrecord/{record.pk}/change/"
    assert client.get(change_url).status_code == 200
    assert client.get("/admin/netrun_llm/budgetspend/").status_code == 200

    form = {
        "tenant_id": "acme",
        "daily_budget_usd": "3.00",
        "monthly_budget_usd": "50",
        "timezone": "UTC",
        "allow_unlisted_providers": "on",
        "provider_rules-TOTAL_FORMS": "0",
        "provider_rules-INITIAL_FORMS": "0",
    }
    # The inline's existing rule is kept out of the form: deleting it is not the point here.
    ProviderRule.objects.all().delete()
    response = client.post(change_url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = LogEntry.objects.get(object_id=str(record.pk))
    assert entry.user == admin
    assert "Daily budget usd" in entry.get_change_message()
    assert get_tenant_policy("acme").daily_budget == Decimal("3.00")  # type: ignore[union-attr]


def test_spend_bar_without_a_limit_and_at_zero_limit() -> None:
    assert spend_bar(Decimal("1.5"), None) == "1.50 USD (no limit)"
    assert 'value="100"' in spend_bar(Decimal(1), Decimal(0))
    assert str(BudgetSpend(tenant_id="t", period="day", period_start="2025-01-01")) == (
        "t day 2025-01-01"
    )
