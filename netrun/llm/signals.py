"""Signals sent by ``netrun.llm``.

Connect receivers in your ``AppConfig.ready()``; netrun's own receivers live in
:mod:`netrun.llm.receivers`.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["budget_threshold_crossed", "tenant_policy_changed"]

#: Sent after a tenant's LLM policy (a ``TenantPolicyRecord`` or one of its provider rules)
#: was saved or deleted and the cached policy dropped. Keyword arguments: ``tenant_id``.
#: Example receiver, rebuilding a per-process enforcer::
#:
#:     @receiver(tenant_policy_changed)
#:     def forget_enforcer(sender, tenant_id, **kwargs):
#:         enforcers.pop(tenant_id, None)
tenant_policy_changed = Signal()

#: Sent once per tenant, scope, budget window and threshold, by the one process that claimed
#: the alert (its :class:`~netrun.llm.models.BudgetAlert` row landed), whatever the number of
#: processes spending. Keyword arguments: ``event`` (a
#: :class:`~netrun.llm.policy.alerts.BudgetAlertEvent`: ``scope``, ``period``, ``threshold``,
#: ``spent_usd``, ``limit_usd``, ``alert_id``, ...) and ``tenant_id``. Sent as soon as the row
#: is written; webhooks go out once it commits. Example receiver::
#:
#:     @receiver(budget_threshold_crossed)
#:     def page_on_call(sender, event, tenant_id, **kwargs):
#:         if event.threshold >= 100:
#:             pager.send(f"{tenant_id} spent its {event.period} budget ({event.scope})")
budget_threshold_crossed = Signal()
