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
from django.test import Client

from netrun.llm.models import BudgetAlert, ScopeBudgetRecord, TenantPolicyRecord
from netrun.llm.policy import alerts_django
from netrun.llm.policy.alerts import BudgetAlertEvent
from netrun.llm.policy.alerts_django import (
    DjangoAlertStore,
    django_alert_evaluator,
    settings_thresholds,
)
from netrun.llm.policy.ledgers import BudgetWindow, Period
from netrun.llm.policy.ledgers.base import period_window
from netrun.llm.signals import budget_threshold_crossed
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
    settings.NETRUN_LLM_BUDGET_ALERT_THRESHOLDS = [80]
    cache.clear()
    alerts_django._scope_budget_cache.clear()  # another test's tenant "t1"
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
    assert tuple(settings_thresholds("t1", window())) == (80,)
    assert tuple(settings_thresholds("t1", window("user:42"))) == (25, 75)  # its own budget
    assert tuple(settings_thresholds("t1", window("user:7"))) == (90,)  # the kind's default
    assert tuple(settings_thresholds("t1", window("tag:x"))) == (80,)  # none of its own
    # A change saved anywhere in this process applies at once (tenant_policy_changed).
    mine = ScopeBudgetRecord.objects.get(value="42")
    mine.alert_thresholds = "60"
    mine.save()
    assert tuple(settings_thresholds("t1", window("user:42"))) == (60,)
    settings.NETRUN_LLM_BUDGET_ALERT_THRESHOLDS = [0, 50]  # E060: no alert rather than a crash
    assert tuple(settings_thresholds("t1", window())) == ()


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
