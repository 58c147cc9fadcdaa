"""Signals of ``netrun.llm``'s policies, and the receivers that keep the policy cache fresh.

``NetrunLlmConfig.ready()`` imports this module, which connects the receivers: saving or
deleting a :class:`~netrun.llm.models.TenantPolicyRecord` or one of its provider rules drops
the tenant's cached :class:`~netrun.llm.policies.TenantPolicy`, then sends
:data:`tenant_policy_changed`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from netrun.llm.models import ProviderRule, TenantPolicyRecord, invalidate_tenant_policy

__all__ = ["tenant_policy_changed"]

#: Sent after a tenant's LLM policy changed and its cache entry was dropped.
#: Keyword arguments: ``tenant_id``. Example receiver, rebuilding a per-process enforcer::
#:
#:     @receiver(tenant_policy_changed)
#:     def forget_enforcer(sender, tenant_id, **kwargs):
#:         enforcers.pop(tenant_id, None)
tenant_policy_changed = Signal()


def _changed(tenant_id: str) -> None:
    invalidate_tenant_policy(tenant_id)
    # Drop it again once the transaction commits: a read between the save and the commit
    # could otherwise cache the old rows until the timeout.
    transaction.on_commit(lambda: invalidate_tenant_policy(tenant_id))
    tenant_policy_changed.send(sender=TenantPolicyRecord, tenant_id=tenant_id)


@receiver(post_save, sender=TenantPolicyRecord, dispatch_uid="netrun_llm_policy_saved")
@receiver(post_delete, sender=TenantPolicyRecord, dispatch_uid="netrun_llm_policy_deleted")
def policy_changed(sender: Any, instance: TenantPolicyRecord, **kwargs: Any) -> None:
    _changed(instance.tenant_id)


@receiver(post_save, sender=ProviderRule, dispatch_uid="netrun_llm_rule_saved")
@receiver(post_delete, sender=ProviderRule, dispatch_uid="netrun_llm_rule_deleted")
def rule_changed(sender: Any, instance: ProviderRule, **kwargs: Any) -> None:
    try:
        tenant_id = instance.policy.tenant_id
    except TenantPolicyRecord.DoesNotExist:
        return  # cascaded from the policy's own deletion, which already invalidated
    _changed(tenant_id)
