"""Budget alerts on Django: claimed by a unique row, announced by a signal and webhooks.

:class:`DjangoAlertStore` claims an alert by inserting its
:class:`~netrun.llm.models.BudgetAlert` row with ``INSERT ... ON CONFLICT DO NOTHING`` on the
unique (tenant, scope, window, threshold): of any number of processes, the one whose row
landed claims it, and no statement fails (a failed one would abort the caller's transaction
on PostgreSQL). The claimant then sends
:data:`~netrun.llm.signals.budget_threshold_crossed` and, when ``NETRUN_LLM_BUDGET_WEBHOOKS``
is set, enqueues :func:`netrun.llm.celery.deliver_budget_alert` once the transaction commits.

``NetrunLlmConfig.ready()`` calls :func:`install_alerts`. Thresholds: a scope budget's own
``alert_thresholds``, which its window carries (from whatever policy made it: the admin's,
settings or code), else ``NETRUN_LLM_BUDGET_ALERT_THRESHOLDS`` (empty: no alerts). Watching a
window reads no database: only a crossed threshold's claim does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import transaction

from netrun.llm.conf import conf
from netrun.llm.models import BudgetAlert
from netrun.llm.policy.alerts import (
    AlertEvaluator,
    AlertStore,
    BudgetAlertEvent,
    add_spend_watcher,
    remove_spend_watcher,
    threshold_problem,
)
from netrun.llm.policy.ledgers.base import BudgetWindow
from netrun.llm.signals import budget_threshold_crossed
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


def settings_thresholds(tenant_id: str, window: BudgetWindow) -> Sequence[int]:
    """The thresholds of ``window``: its scope budget's own, else the setting's."""
    if window.scope != "tenant" and window.alert_thresholds is not None:
        return window.alert_thresholds
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
    return _installed[0]


def uninstall_alerts() -> None:
    while _installed:
        remove_spend_watcher(_installed.pop())
