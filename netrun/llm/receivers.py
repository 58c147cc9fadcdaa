"""Receivers of ``netrun.llm``: caches dropped when the rows behind them change.

``NetrunLlmConfig.ready()`` calls :func:`connect_signals`. Saving or deleting a
:class:`~netrun.llm.models.TenantPolicyRecord`, one of its provider rules or one of the
tenant's :class:`~netrun.llm.models.ScopeBudgetRecord` rows drops the tenant's
cached :class:`~netrun.llm.policy.TenantPolicy` and sends
:data:`netrun.llm.signals.tenant_policy_changed`; saving or deleting an
:class:`~netrun.llm.models.LLMPriceOverride` drops this process's price table; saving or
deleting a :class:`~netrun.llm.models.ModelAlias` drops every process's alias table.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from netrun.llm.models import (
    LLMPriceOverride,
    ModelAlias,
    ProviderRule,
    ScopeBudgetRecord,
    TenantPolicyRecord,
    invalidate_tenant_policy,
)
from netrun.llm.policy.django import invalidate_prices
from netrun.llm.resilience.django import invalidate_aliases
from netrun.llm.signals import tenant_policy_changed

__all__ = [
    "alias_changed",
    "connect_signals",
    "disconnect_signals",
    "policy_changed",
    "price_changed",
    "rule_changed",
    "scope_budget_changed",
]


def _tenant_changed(tenant_id: str) -> None:
    invalidate_tenant_policy(tenant_id)
    # Drop it again once the transaction commits: a read between the save and the commit
    # could otherwise cache the old rows until the timeout.
    transaction.on_commit(lambda: invalidate_tenant_policy(tenant_id))
    tenant_policy_changed.send(sender=TenantPolicyRecord, tenant_id=tenant_id)


def policy_changed(sender: Any, instance: TenantPolicyRecord, **kwargs: Any) -> None:
    _tenant_changed(instance.tenant_id)


def rule_changed(sender: Any, instance: ProviderRule, **kwargs: Any) -> None:
    try:
        tenant_id = instance.policy.tenant_id
    except TenantPolicyRecord.DoesNotExist:
        return  # cascaded from the policy's own deletion, which already invalidated
    _tenant_changed(tenant_id)


def scope_budget_changed(sender: Any, instance: ScopeBudgetRecord, **kwargs: Any) -> None:
    _tenant_changed(instance.tenant_id)


def price_changed(sender: Any, **kwargs: Any) -> None:
    invalidate_prices()
    # Again once committed: a call priced between the save and the commit read the old rows.
    transaction.on_commit(invalidate_prices)


def alias_changed(sender: Any, **kwargs: Any) -> None:
    invalidate_aliases()
    # Again once committed: a lookup between the save and the commit read the old rows.
    transaction.on_commit(invalidate_aliases)


_RECEIVERS = (
    (policy_changed, TenantPolicyRecord, "policy"),
    (rule_changed, ProviderRule, "rule"),
    (scope_budget_changed, ScopeBudgetRecord, "scope_budget"),
    (price_changed, LLMPriceOverride, "price"),
    (alias_changed, ModelAlias, "model_alias"),
)


def connect_signals() -> None:
    """Connect every receiver (idempotent: each has a ``dispatch_uid``)."""
    for receiver, model, name in _RECEIVERS:
        post_save.connect(receiver, sender=model, dispatch_uid=f"netrun_llm_{name}_saved")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"netrun_llm_{name}_deleted")


def disconnect_signals() -> None:
    """Disconnect every receiver :func:`connect_signals` connected."""
    for _, model, name in _RECEIVERS:
        post_save.disconnect(sender=model, dispatch_uid=f"netrun_llm_{name}_saved")
        post_delete.disconnect(sender=model, dispatch_uid=f"netrun_llm_{name}_deleted")
