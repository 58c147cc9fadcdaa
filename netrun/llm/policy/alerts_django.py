"""Budget alerts on Django: claimed by a unique row, announced by a signal and webhooks.

:class:`DjangoAlertStore` claims an alert by inserting its
:class:`~netrun.llm.models.BudgetAlert` row with ``INSERT ... ON CONFLICT DO NOTHING`` on the
unique (tenant, scope, window, threshold): of any number of processes, the one whose row
landed claims it, and no statement fails (a failed one would abort the caller's transaction
on PostgreSQL). The claimant then sends
:data:`~netrun.llm.signals.budget_threshold_crossed` and, when ``NETRUN_LLM_BUDGET_WEBHOOKS``
is set, enqueues :func:`netrun.llm.celery.deliver_budget_alert` once the transaction commits.

``NetrunLlmConfig.ready()`` calls :func:`install_alerts`. Thresholds: a scope budget's own
``alert_thresholds``, else ``NETRUN_LLM_BUDGET_ALERT_THRESHOLDS`` (empty: no alerts).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from netrun.llm.conf import conf
from netrun.llm.models import BudgetAlert, get_tenant_policy
from netrun.llm.policy.alerts import (
    AlertEvaluator,
    AlertStore,
    BudgetAlertEvent,
    add_spend_watcher,
    remove_spend_watcher,
    threshold_problem,
    window_scope,
)
from netrun.llm.policy.ledgers.base import BudgetWindow
from netrun.llm.policy.scopes import ScopeBudget
from netrun.llm.signals import budget_threshold_crossed, tenant_policy_changed
from netrun.logging import get_logger

__all__ = [
    "DjangoAlertStore",
    "django_alert_evaluator",
    "install_alerts",
    "notify_alert",
    "settings_thresholds",
    "uninstall_alerts",
]

logger = get_logger(__name__)


class DjangoAlertStore(AlertStore):
    """Claims in the ``netrun_llm_budget_alert`` table of the database ``using``."""

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def claim(self, event: BudgetAlertEvent) -> str | None:
        alerts = BudgetAlert.objects.using(self.using)
        row = BudgetAlert(
            id=uuid.uuid4(),
            tenant_id=event.tenant_id,
            scope=event.scope,
            period=event.period,
            period_start=event.period_start,
            window_key=event.window_key,
            threshold=event.threshold,
            spent_micros=event.spent,
            limit_micros=event.limit,
            fired_at=event.fired_at,
            delivery=(BudgetAlert.PENDING if webhook_urls() else BudgetAlert.NO_WEBHOOK),
        )
        # ON CONFLICT DO NOTHING waits for a concurrent insert of the same key to commit or
        # roll back; the row with our id is then there only if ours is the one that landed.
        alerts.bulk_create([row], ignore_conflicts=True)
        if not alerts.filter(pk=row.pk).exists():
            return None
        return str(row.pk)


def webhook_urls() -> list[str]:
    return [url for url in conf.budget_webhooks if isinstance(url, str) and url]


#: Seconds this process keeps a tenant's scope budgets for the alert thresholds: a watcher
#: asks on every budget change of every scope window, and the policy is behind Django's
#: cache (a network round trip with Redis). A change saved in this process applies at once.
SCOPE_BUDGETS_TTL = 30.0

_scope_budget_cache: dict[str, tuple[float, tuple[ScopeBudget, ...]]] = {}


def _scope_budgets(tenant_id: str) -> tuple[ScopeBudget, ...]:
    now = time.monotonic()
    cached = _scope_budget_cache.get(tenant_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    policy = get_tenant_policy(tenant_id)
    budgets = () if policy is None else tuple(policy.scope_budgets)
    if len(_scope_budget_cache) > 10_000:
        _scope_budget_cache.clear()
    _scope_budget_cache[tenant_id] = (now + SCOPE_BUDGETS_TTL, budgets)
    return budgets


def _policy_changed(sender: Any, tenant_id: str, **kwargs: Any) -> None:
    _scope_budget_cache.pop(tenant_id, None)


def _scope_thresholds(tenant_id: str, window: BudgetWindow, scope: str) -> Sequence[int] | None:
    """The ``alert_thresholds`` of the scope budget behind ``window``, chosen as
    :func:`~netrun.llm.policy.ledgers.base.scope_windows` chose it (a budget for this value
    over the kind's default, then the lowest limit); ``None``: the tenant's default."""
    kind, _, value = scope.partition(":")
    chosen: tuple[bool, ScopeBudget] | None = None
    for budget in _scope_budgets(tenant_id):
        if (
            not budget.matches(kind, value)
            or budget.period != window.period.value
            or budget.hours != window.hours
        ):
            continue
        specific = budget.value is not None
        if (
            chosen is None
            or (specific and not chosen[0])
            or (specific == chosen[0] and budget.limit_usd < chosen[1].limit_usd)
        ):
            chosen = (specific, budget)
    return None if chosen is None else chosen[1].alert_thresholds


def settings_thresholds(tenant_id: str, window: BudgetWindow) -> Sequence[int]:
    """The thresholds of ``window``: its scope budget's own, else the setting's."""
    scope = window_scope(window)
    if scope != "tenant":
        own = _scope_thresholds(tenant_id, window, scope)
        if own is not None:
            return own
    thresholds = conf.budget_alert_thresholds
    # netrun.llm.E060 reports a bad setting; until it is fixed, no alert rather than a crash.
    return () if threshold_problem(thresholds) else thresholds


def notify_alert(event: BudgetAlertEvent, *, using: str = "default") -> None:
    """Send the signal; enqueue the webhooks once the claim is committed."""
    budget_threshold_crossed.send(sender=BudgetAlert, event=event, tenant_id=event.tenant_id)
    if not webhook_urls():
        return

    def enqueue() -> None:
        from netrun.llm.celery import enqueue_delivery

        enqueue_delivery(event.alert_id, event.tenant_id, using=using)

    transaction.on_commit(enqueue, using=using)


def django_alert_evaluator(using: str = "default") -> AlertEvaluator:
    """An :class:`AlertEvaluator` on the database ``using``, with the settings' thresholds."""
    return AlertEvaluator(
        DjangoAlertStore(using),
        thresholds=settings_thresholds,
        notify=lambda event: notify_alert(event, using=using),
    )


_installed: list[AlertEvaluator] = []


def install_alerts(using: str = "default") -> AlertEvaluator:
    """Watch every enforcer's spend in this process (idempotent)."""
    if not _installed:
        _installed.append(django_alert_evaluator(using))
        add_spend_watcher(_installed[0])
        tenant_policy_changed.connect(_policy_changed, dispatch_uid="netrun_llm_alert_scopes")
    return _installed[0]


def uninstall_alerts() -> None:
    while _installed:
        remove_spend_watcher(_installed.pop())
    tenant_policy_changed.disconnect(dispatch_uid="netrun_llm_alert_scopes")
    _scope_budget_cache.clear()
