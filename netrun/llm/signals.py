"""Signals sent by ``netrun.llm``.

Connect receivers in your ``AppConfig.ready()``; netrun's own receivers live in
:mod:`netrun.llm.receivers`.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["tenant_policy_changed"]

#: Sent after a tenant's LLM policy (a ``TenantPolicyRecord`` or one of its provider rules)
#: was saved or deleted and the cached policy dropped. Keyword arguments: ``tenant_id``.
#: Example receiver, rebuilding a per-process enforcer::
#:
#:     @receiver(tenant_policy_changed)
#:     def forget_enforcer(sender, tenant_id, **kwargs):
#:         enforcers.pop(tenant_id, None)
tenant_policy_changed = Signal()
