"""Scope budgets as stored: validation that names the field, one budget per scope and period,
and the tenant policy ``get_tenant_policy`` builds from them, cached and invalidated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from netrun.errors import BudgetExceededError
from netrun.llm.models import ScopeBudgetRecord, TenantPolicyRecord, get_tenant_policy
from netrun.llm.models.policy import parse_thresholds, scope_budget_usage
from netrun.llm.policy import PolicyEnforcer
from netrun.llm.policy.ledgers import MemoryLedger
from netrun.llm.policy.scopes import ScopeBudget
from netrun.llm.signals import tenant_policy_changed
from tests.llm.scopes.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    cache.clear()  # tenant IDs repeat between tests: no policy cached by an earlier one
    yield
    cache.clear()


def _record(**fields: Any) -> ScopeBudgetRecord:
    values: dict[str, Any] = {
        "tenant_id": "t1",
        "kind": "user",
        "value": "42",
        "limit_usd": Decimal("5"),
        "period": "day",
        **fields,
    }
    return ScopeBudgetRecord(**values)


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"limit_usd": Decimal("0")}, "limit_usd", "more than 0 USD"),
        ({"limit_usd": Decimal("-1")}, "limit_usd", "more than 0 USD"),
        ({"period": "hours"}, "hours", "needs hours (1 to 744)"),
        ({"period": "hours", "hours": 0}, "hours", "greater than or equal to 1"),
        ({"period": "hours", "hours": 745}, "hours", "less than or equal to 744"),
        ({"period": "day", "hours": 5}, "hours", "leave it empty"),
        ({"period": "fortnight"}, "period", "not a valid choice"),
        ({"kind": "team"}, "kind", "not a valid choice"),
        ({"kind": "tag", "value": "Ticket Summary"}, "value", "invalid LLM feature tag"),
        ({"kind": "key", "value": "sk live"}, "value", "invalid API key"),
        ({"alert_thresholds": "50, lots"}, "alert_thresholds", "'lots' is not a whole"),
        ({"alert_thresholds": "0"}, "alert_thresholds", "from 1 to 100"),
        ({"alert_thresholds": "150"}, "alert_thresholds", "from 1 to 100"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    fields: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _record(**fields).full_clean()
    assert set(refused.value.message_dict) == {field}
    assert says in " ".join(refused.value.message_dict[field])


def test_a_valid_budget_is_cleaned_to_its_canonical_form() -> None:
    record = _record(
        kind="tag", value=" ticket-summary ", period="hours", hours=5, alert_thresholds="80%,50"
    )
    record.full_clean()
    assert (record.value, record.alert_thresholds) == ("ticket-summary", "50, 80")
    assert record.to_scope_budget() == ScopeBudget(
        kind="tag",
        value="ticket-summary",
        limit_usd=Decimal("5"),
        period="hours",
        hours=5,
        alert_thresholds=(50, 80),
    )
    default = _record(value="", alert_thresholds="")
    default.full_clean()
    assert default.to_scope_budget().value is None  # blank: every user separately
    assert default.to_scope_budget().alert_thresholds is None  # the tenant's default
    assert (default.scope_label, record.scope_label) == ("every user", "tag ticket-summary")
    assert (default.period_label, record.period_label) == ("day", "5 hours")


def test_parse_thresholds() -> None:
    assert parse_thresholds(" ") is None
    assert parse_thresholds("100, 50\n80, 50") == (50, 80, 100)


def test_a_scope_has_one_budget_per_period_and_window_length() -> None:
    _record().save()
    with pytest.raises(ValidationError) as twice:
        _record(limit_usd=Decimal("9")).full_clean()
    assert "already has this budget" in str(twice.value)
    _record(period="month").full_clean()  # another period
    _record(value="43").full_clean()  # another user
    _record(tenant_id="t2").full_clean()  # another tenant
    _record(value="").full_clean()  # the default limit of every user
    _record(period="hours", hours=5).save()
    _record(period="hours", hours=6).full_clean()  # another window length
    with pytest.raises(ValidationError):
        _record(period="hours", hours=5).full_clean()


def test_the_database_refuses_a_duplicate_that_skipped_validation() -> None:
    _record().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _record().save()
    _record(period="hours", hours=5).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _record(period="hours", hours=5).save()


def test_the_tenant_policy_holds_its_enabled_scope_budgets_only(world: World) -> None:
    TenantPolicyRecord.objects.create(tenant_id=world.a, daily_budget_usd=Decimal("50"))
    world.acme_every_key.enabled = False
    world.acme_every_key.save()
    policy = get_tenant_policy(world.a)
    assert policy is not None
    assert policy.daily_budget == Decimal("50")
    assert set(policy.scope_budgets) == {
        world.acme_user.to_scope_budget(),
        world.acme_tag.to_scope_budget(),
    }
    other = get_tenant_policy(world.b)
    assert other is not None
    assert other.scope_budgets == (world.globex_user.to_scope_budget(),)
    assert other.scope_budgets[0].limit_usd == Decimal("9")  # globex's, not acme's


def test_scope_budgets_hold_without_a_tenant_policy_record(world: World) -> None:
    policy = get_tenant_policy(world.a)
    assert policy is not None
    assert policy.tenant_id == world.a
    assert (policy.daily_budget, policy.monthly_budget) == (None, None)  # tenant uncapped
    assert len(policy.scope_budgets) == 3
    assert get_tenant_policy("no-budgets-at-all") is None


def test_a_save_or_delete_drops_that_tenants_cached_policy(world: World) -> None:
    seen: list[str] = []

    def heard(sender: Any, tenant_id: str, **kwargs: Any) -> None:
        seen.append(tenant_id)

    tenant_policy_changed.connect(heard)
    try:
        before = get_tenant_policy(world.a)
        globex_before = get_tenant_policy(world.b)
        assert before is not None
        assert globex_before is not None
        # Cached: a change that bypasses the receivers is not seen until invalidated.
        ScopeBudgetRecord.objects.filter(pk=world.acme_user.pk).update(limit_usd=Decimal("7"))
        assert get_tenant_policy(world.a) == before
        # What other processes read is the shared cache's entry: a save deletes it.
        world.acme_tag.limit_usd = Decimal("4")
        world.acme_tag.save()
        assert cache.get(f"netrun:llm:policy:{world.a}") is None
        after = get_tenant_policy(world.a)
        assert after is not None
        limits = {(b.kind, b.value): b.limit_usd for b in after.scope_budgets}
        assert limits[("user", "7")] == Decimal("7")
        assert limits[("tag", "ticket-summary")] == Decimal("4")
        world.acme_user.delete()
        deleted = get_tenant_policy(world.a)
        assert deleted is not None
        assert ("user", "7") not in {(b.kind, b.value) for b in deleted.scope_budgets}
        # Globex's cached policy was never dropped: only the changed tenant's is.
        assert cache.get(f"netrun:llm:policy:{world.b}") == globex_before
    finally:
        tenant_policy_changed.disconnect(heard)
    assert seen == [world.a, world.a]


def test_the_enforcer_refuses_a_users_call_above_the_admins_budget(world: World) -> None:
    policy = get_tenant_policy(world.a)
    assert policy is not None
    enforcer = PolicyEnforcer(policy, ledger=MemoryLedger())
    call = {"provider": "openai", "model": "gpt-4o", "max_output_tokens": 200_000}  # ~2 USD
    enforcer.reserve(**call, user_id="8").release()  # user 8 has no budget of its own
    with pytest.raises(BudgetExceededError) as refused:
        enforcer.reserve(**call, user_id="7")  # user 7: 1 USD a day
    assert refused.value.details["scope"] == "user:7"
    assert refused.value.details["rule"] == "scope_budget"


def test_usage_reads_the_scopes_current_window_from_the_ledger(world: World) -> None:
    ledger = MemoryLedger()
    now = dt.datetime(2026, 3, 4, 13, 30, tzinfo=dt.timezone.utc)
    found = scope_budget_usage(world.acme_tag, ledger=ledger, now=now)
    assert found is not None
    window, usage = found
    assert (window.scope, window.hours, window.limit) == ("tag:ticket-summary", 5, 2_000_000)
    assert (window.resets_at.timestamp() / 3600) % 5 == 0  # counted from the epoch in UTC
    assert window.resets_at - dt.timedelta(hours=5) <= now < window.resets_at
    assert (usage.spent, usage.reserved) == (0, 0)
    ledger.reserve(world.a, "r1", [window], 300_000, ttl=60)
    ledger.settle(world.a, "r1", [window], 250_000)
    ledger.reserve(world.a, "r2", [window], 100_000, ttl=60)
    _, usage = scope_budget_usage(world.acme_tag, ledger=ledger, now=now) or (None, None)
    assert usage is not None
    assert (usage.spent, usage.reserved) == (250_000, 100_000)
    # Globex's user 7 is another tenant's scope: nothing of acme's counts there.
    _, other = scope_budget_usage(world.globex_user, ledger=ledger, now=now) or (None, None)
    assert other is not None
    assert (other.spent, other.reserved) == (0, 0)
    assert scope_budget_usage(world.acme_every_key, ledger=ledger, now=now) is None
