"""Tenant policies as edited in the admin: a tenant's record, its provider rules, and
:func:`get_tenant_policy`, which reads them through Django's cache.

Rows are keyed by a plain, indexed ``tenant_id`` string rather than a foreign key to the
tenant model: Redis-only deployments keep policies without a tenant table, and
``netrun.llm`` migrations stay independent of ``netrun.rbac``'s.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import models

from netrun.llm.models._tenant import tenant_label
from netrun.llm.policy.pricing import CostTier
from netrun.llm.policy.rules import ProviderPolicy, TenantPolicy
from netrun.logging import get_logger

__all__ = [
    "ProviderRule",
    "TenantPolicyRecord",
    "get_tenant_policy",
    "invalidate_tenant_policy",
]

_CACHE_PREFIX = "netrun:llm:policy:"
# Cached "no policy" answers are stored as this marker (None means "not cached").
_MISSING = "__none__"

logger = get_logger(__name__)
_TIER_CHOICES = [(tier.value, tier.name.title()) for tier in CostTier]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


class TenantPolicyRecord(models.Model):
    """A tenant's LLM policy as edited in the admin; :meth:`to_policy` builds the core object."""

    tenant_id = models.CharField(max_length=64, unique=True)
    daily_budget_usd = models.DecimalField(null=True, blank=True, max_digits=12, decimal_places=4)
    monthly_budget_usd = models.DecimalField(null=True, blank=True, max_digits=12, decimal_places=4)
    fallback_to_local = models.BooleanField(
        default=False, help_text="Answer with the local model when the budget is used up."
    )
    require_reason = models.BooleanField(default=False)
    allow_unlisted_providers = models.BooleanField(
        default=True, help_text="Allow providers without a rule below (budgets still apply)."
    )
    timezone = models.CharField(max_length=64, default="UTC", help_text="Budget days and months.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "tenant LLM policy"
        verbose_name_plural = "tenant LLM policies"
        db_table = "netrun_llm_tenant_policy"

    def __str__(self) -> str:
        return f"LLM policy of {tenant_label(self.tenant_id)}"

    def to_policy(self) -> TenantPolicy:
        rules = {rule.provider: rule.to_policy() for rule in self.provider_rules.all()}
        return TenantPolicy(
            tenant_id=self.tenant_id,
            daily_budget_usd=self.daily_budget_usd,
            monthly_budget_usd=self.monthly_budget_usd,
            fallback_to_local=self.fallback_to_local,
            require_reason=self.require_reason,
            allow_unlisted_providers=self.allow_unlisted_providers,
            timezone=self.timezone,
            provider_policies=rules,
        )


class ProviderRule(models.Model):
    """What one tenant may do with one provider."""

    policy = models.ForeignKey(
        TenantPolicyRecord, on_delete=models.CASCADE, related_name="provider_rules"
    )
    provider = models.CharField(max_length=32)
    enabled = models.BooleanField(default=True)
    allowed_models = models.TextField(
        blank=True, help_text="One model name or glob per line; empty allows every model."
    )
    denied_models = models.TextField(blank=True, help_text="One model name or glob per line.")
    max_tokens_per_request = models.PositiveIntegerField(null=True, blank=True)
    max_cost_per_request = models.DecimalField(
        null=True, blank=True, max_digits=12, decimal_places=4
    )
    rate_limit_rpm = models.PositiveIntegerField(null=True, blank=True)
    rate_limit_tpm = models.PositiveIntegerField(null=True, blank=True)
    cost_tier_limit = models.PositiveSmallIntegerField(null=True, blank=True, choices=_TIER_CHOICES)
    require_reason = models.BooleanField(default=False)

    class Meta:
        db_table = "netrun_llm_provider_rule"
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "provider"], name="netrun_llm_rule_one_per_provider"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} rule"

    def to_policy(self) -> ProviderPolicy:
        return ProviderPolicy(
            provider=self.provider,
            enabled=self.enabled,
            allowed_models=_lines(self.allowed_models) or None,
            denied_models=_lines(self.denied_models),
            max_tokens_per_request=self.max_tokens_per_request,
            max_cost_per_request=self.max_cost_per_request,
            rate_limit_rpm=self.rate_limit_rpm,
            rate_limit_tpm=self.rate_limit_tpm,
            cost_tier_limit=None
            if self.cost_tier_limit is None
            else CostTier(self.cost_tier_limit),
            require_reason=self.require_reason,
        )


def _cache_key(tenant_id: str) -> str:
    return f"{_CACHE_PREFIX}{tenant_id}"


def get_tenant_policy(tenant_id: str, *, timeout: float = 300) -> TenantPolicy | None:
    """The tenant's policy from the database, through Django's cache; ``None`` if it has none.

    A change saved anywhere (admin, shell, another process) deletes the cached entry through
    the receivers in :mod:`netrun.llm.receivers`; ``timeout`` bounds staleness if a change
    bypassed signals (``QuerySet.update``).
    """
    key = _cache_key(tenant_id)
    reached, cached = _cached(cache.get, key)
    if not reached:
        return _read_policy(tenant_id)
    if cached is not None:
        return None if cached == _MISSING else cached
    policy = _read_policy(tenant_id)
    _cached(cache.set, key, _MISSING if policy is None else policy, timeout)
    return policy


def _cached(call: Any, *args: Any) -> tuple[bool, Any]:
    """``(True, result)`` of a cache call, or ``(False, None)`` when the cache is down.

    The database holds the policy and the cache only a copy: an outage costs a query, never
    the request (issue 18's load run: with Redis killed, summaries answered 500 from here).
    """
    try:
        return True, call(*args)
    except Exception as exc:  # any backend's own error type
        logger.warning("llm_policy_cache_unavailable", error=type(exc).__name__)
        return False, None


def _read_policy(tenant_id: str) -> TenantPolicy | None:
    record = (
        TenantPolicyRecord.objects.prefetch_related("provider_rules")
        .filter(tenant_id=tenant_id)
        .first()
    )
    return None if record is None else record.to_policy()


def invalidate_tenant_policy(tenant_id: str) -> None:
    cache.delete(_cache_key(tenant_id))
