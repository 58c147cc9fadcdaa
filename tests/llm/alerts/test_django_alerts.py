"""The Django claims: one row per tenant, scope, window and threshold; the signal from the
claimant only; webhooks enqueued once the row commits; thresholds per scope budget; the
history in the admin, read-only and scoped to the staff user's tenants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from netrun.llm.attribution import llm_tags
from netrun.llm.models import (
    BudgetAlert,
    ScopeBudgetRecord,
    TenantPolicyRecord,
    get_tenant_policy,
)
from netrun.llm.policy import PolicyEnforcer, ScopeBudget, TenantPolicy
from netrun.llm.policy.alerts import BudgetAlertEvent
from netrun.llm.policy.alerts_django import (
    DjangoAlertStore,
    django_alert_evaluator,
    settings_thresholds,
)
from netrun.llm.policy.ledgers import BudgetWindow, MemoryLedger, Period
from netrun.llm.policy.ledgers.base import period_window, scope_windows
from netrun.llm.signals import budget_threshold_crossed
from netrun.llm.types import Usage
from netrun.rbac.models import Membership, Tenant

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 7, 12, tzinfo=dt.timezone.utc)


def window(scope: str = "tenant", limit: int = 1000, **kwargs: Any) -> BudgetWindow:
    return period_window(NOON, Period.DAY, limit=limit, scope=scope, **kwargs)


def event(threshold: int, tenant_id: str = "t1") -> BudgetAlertEvent:
    day = window()
    return BudgetAlertEvent(
        tenant_id=tenant_id,
        scope="tenant",
        period="day",
        period_start=day.start,
        window_key=day.key,
        threshold=threshold,
        spent=900,
        limit=1000,
    )


@pytest.fixture
def heard() -> Iterator[list[BudgetAlertEvent]]:
    events: list[BudgetAlertEvent] = []

    def receiver(sender: Any, event: BudgetAlertEvent, tenant_id: str, **kwargs: Any) -> None:
        assert sender is BudgetAlert
        assert tenant_id == event.tenant_id
        events.append(event)

    budget_threshold_crossed.connect(receiver)
    yield events
    budget_threshold_crossed.disconnect(receiver)


def test_a_claim_lands_once_and_every_later_claim_is_refused() -> None:
    store = DjangoAlertStore()
    alert_id = store.claim(event(80))
    assert alert_id is not None
    assert store.claim(event(80)) is None
    assert store.claim(event(80, tenant_id="t2")) is not None  # another tenant's own
    row = BudgetAlert.objects.get(pk=alert_id)
    assert (row.tenant_id, row.scope, row.period, row.window_key) == (
        "t1",
        "tenant",
        "day",
        "day:2026-12-07",
    )
    assert (row.threshold, row.spent_usd, row.limit_usd) == (
        80,
        Decimal("0.0009"),
        Decimal("0.001"),
    )
    assert (row.delivery, row.attempts) == (BudgetAlert.NO_WEBHOOK, 0)
    assert BudgetAlert.objects.count() == 2


def test_the_claimant_signals_once_and_enqueues_nothing_without_webhooks(
    settings: Any, heard: list[BudgetAlertEvent], django_capture_on_commit_callbacks: Any
) -> None:
    settings.NETRUN_LLM_BUDGET_ALERT_THRESHOLDS = [50, 80, 100]
    first, second = django_alert_evaluator(), django_alert_evaluator()  # two "processes"
    with django_capture_on_commit_callbacks() as callbacks:
        assert [e.threshold for e in first.evaluate("t1", window(), 850)] == [50, 80]
        assert second.evaluate("t1", window(), 850) == []
        assert [e.threshold for e in second.evaluate("t1", window(), 1000)] == [100]
    assert [(e.threshold, e.alert_id) for e in heard] == [
        (row.threshold, str(row.pk)) for row in BudgetAlert.objects.order_by("threshold")
    ]
    assert callbacks == []


def test_with_webhooks_the_row_is_pending_and_its_delivery_waits_for_the_commit(
    settings: Any, heard: list[BudgetAlertEvent], django_capture_on_commit_callbacks: Any
) -> None:
    settings.NETRUN_LLM_BUDGET_ALERT_THRESHOLDS = [50]
    settings.NETRUN_LLM_BUDGET_WEBHOOKS = ["https://hooks.example.com/netrun"]
    settings.NETRUN_LLM_BUDGET_WEBHOOK_SECRET = "whsec-test"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        claimed = django_alert_evaluator().evaluate("t1", window(), 600)
    assert len(claimed) == len(heard) == 1  # the signal does not wait for the commit
    assert len(callbacks) == 1  # the task is enqueued by it
    assert BudgetAlert.objects.get().delivery == BudgetAlert.PENDING


def test_thresholds_per_scope_budget_else_the_setting(settings: Any) -> None:
    """The admin's scope budgets make the windows (through the tenant's policy), and each
    window carries its budget's thresholds: watching it reads no database."""
    settings.NETRUN_LLM_BUDGET_ALERT_THRESHOLDS = [80]
    cache.clear()
    TenantPolicyRecord.objects.create(tenant_id="t1")
    ScopeBudgetRecord.objects.create(
        tenant_id="t1", kind="user", value="", limit_usd=5, period="day", alert_thresholds="90"
    )
    ScopeBudgetRecord.objects.create(
        tenant_id="t1",
        kind="user",
        value="42",
        limit_usd=9,
        period="day",
        alert_thresholds="25, 75",
    )
    ScopeBudgetRecord.objects.create(
        tenant_id="t1", kind="tag", value="x", limit_usd=1, period="day"
    )

    def thresholds() -> dict[str, tuple[int, ...]]:
        policy = get_tenant_policy("t1")
        assert policy is not None
        made = scope_windows(
            NOON, policy.scope_budgets, [("user", "42"), ("user", "7"), ("tag", "x")]
        )
        with CaptureQueriesContext(connection) as queries:
            found = {w.scope: tuple(settings_thresholds("t1", w)) for w in made}
        assert len(queries) == 0
        return found

    assert tuple(settings_thresholds("t1", window())) == (80,)
    assert thresholds() == {
        "user:42": (25, 75),  # its own budget
        "user:7": (90,),  # the kind's default
        "tag:x": (80,),  # none of its own: the setting
    }
    # A change saved anywhere applies to the next policy read (tenant_policy_changed).
    mine = ScopeBudgetRecord.objects.get(value="42")
    mine.alert_thresholds = "60"
    mine.save()
    assert thresholds()["user:42"] == (60,)
    settings.NETRUN_LLM_BUDGET_ALERT_THRESHOLDS = [0, 50]  # E060: no alert rather than a crash
    assert tuple(settings_thresholds("t1", window())) == ()


def test_a_code_defined_scope_budgets_thresholds_fire_through_the_enforcer(
    settings: Any, heard: list[BudgetAlertEvent]
) -> None:
    """A policy made in code (govern(policies=...), an LLMClient's own TenantPolicy), with no
    admin record: its scope budget's thresholds are the ones that fire."""
    settings.NETRUN_LLM_BUDGET_ALERT_THRESHOLDS = []  # no default: only the budget's own
    policy = TenantPolicy(
        "t-code",
        scope_budgets=(
            ScopeBudget("tag", "summary", Decimal("0.001"), "day", alert_thresholds=(50,)),
        ),
    )
    enforcer = PolicyEnforcer(policy, ledger=MemoryLedger())
    with llm_tags("summary"):
        reservation = enforcer.reserve(
            provider="openai",
            model="gpt-4o-mini",
            estimated_input_tokens=10,
            max_output_tokens=1000,
        )
        reservation.settle(Usage(input_tokens=10, output_tokens=900))  # $0.00054: 54%
    assert [(e.tenant_id, e.scope, e.threshold) for e in heard] == [("t-code", "tag:summary", 50)]
    assert BudgetAlert.objects.get().scope == "tag:summary"


def test_the_admin_shows_the_history_read_only_and_only_the_staff_users_tenants(
    django_user_model: Any,
) -> None:
    acme = Tenant.objects.create(name="Acme", slug="acme")
    globex = Tenant.objects.create(name="Globex", slug="globex")
    store = DjangoAlertStore()
    store.claim(event(80, tenant_id=str(acme.pk)))
    store.claim(event(100, tenant_id=str(globex.pk)))
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_budgetalert"))
    Membership.objects.create(user=staff, tenant=acme, role="admin")
    root = django_user_model.objects.create_superuser("root", password="pw")

    url = "/admin/netrun_llm/budgetalert/"
    as_staff, as_root = Client(), Client()
    as_staff.force_login(staff)
    as_root.force_login(root)
    staff_page = as_staff.get(url).content.decode()
    root_page = as_root.get(url).content.decode()
    assert "Acme" in staff_page
    assert "80%" in staff_page
    assert "Globex" not in staff_page
    assert "100%" not in staff_page
    assert "Acme" in root_page
    assert "Globex" in root_page
    row = BudgetAlert.objects.get(tenant_id=str(acme.pk))
    assert as_root.get(f"{url}add/").status_code == 403
    change = as_root.get(f"{url}{row.pk}/change/")
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()  # a view page: nothing to save
    assert as_root.post(f"{url}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert BudgetAlert.objects.filter(pk=row.pk).exists()
