"""Tenant policies, provider rules, and the budget ledger's tables.

Rows are keyed by a plain, indexed ``tenant_id`` string rather than a foreign key to the
tenant model: the ledger tables are shared with the framework-neutral
:class:`~netrun.llm.budgets.sql.SQLLedger`, Redis-only deployments keep policies without a
tenant table, and ``netrun.llm`` migrations stay independent of ``netrun.rbac``'s.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import models
from django.utils import timezone

from netrun.llm.budgets.base import Period, from_micros, windows_for
from netrun.llm.policies import ProviderPolicy, TenantPolicy
from netrun.llm.pricing import CostTier

# The telemetry models live with the telemetry code; Django discovers models from here.
from netrun.llm.telemetry_models import LLMLatencyHistogram, LLMUsageHourly, LLMUsageRecord
from netrun.logging import get_logger

__all__ = [
    "BudgetAccount",
    "BudgetReservation",
    "BudgetSpend",
    "LLMLatencyHistogram",
    "LLMPriceOverride",
    "LLMUsageHourly",
    "LLMUsageRecord",
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


def _tenant_label(tenant_id: str) -> str:
    """The tenant's name where the admin shows a row (delete pages, history, messages); its
    ID when it has no tenant row or the database cannot say."""
    from django.db import DatabaseError

    from netrun.llm.admin_dashboard import tenant_labels

    try:
        return tenant_labels([tenant_id]).get(tenant_id, tenant_id)
    except DatabaseError:
        return tenant_id


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
        return f"LLM policy of {_tenant_label(self.tenant_id)}"

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


class BudgetAccount(models.Model):
    """One row per tenant: the lock every budget change of the tenant takes first."""

    tenant_id = models.CharField(max_length=64, unique=True)

    class Meta:
        db_table = "netrun_llm_budget_account"

    def __str__(self) -> str:
        return _tenant_label(self.tenant_id)


class BudgetSpend(models.Model):
    """Spent and reserved micro-dollars of one tenant in one day or month."""

    tenant_id = models.CharField(max_length=64)
    period = models.CharField(max_length=8, choices=[(p.value, p.value) for p in Period])
    period_start = models.DateField()
    spent_micros = models.BigIntegerField(default=0)
    reserved_micros = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "netrun_llm_budget_spend"
        verbose_name = "budget spend"
        verbose_name_plural = "budget spend"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "period", "period_start"],
                name="netrun_llm_spend_unique_window",
            )
        ]

    def __str__(self) -> str:
        return f"{_tenant_label(self.tenant_id)} {self.period} {self.period_start}"

    @property
    def spent_usd(self) -> Decimal:
        return from_micros(self.spent_micros)

    @property
    def reserved_usd(self) -> Decimal:
        return from_micros(self.reserved_micros)


class BudgetReservation(models.Model):
    """A hold on a budget for one call in flight; stale ones are swept by the next reserve."""

    id = models.CharField(max_length=32, primary_key=True)
    tenant_id = models.CharField(max_length=64)
    amount_micros = models.BigIntegerField()
    windows = models.CharField(max_length=100)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "netrun_llm_budget_reservation"
        indexes = [
            models.Index(fields=["tenant_id", "expires_at"], name="netrun_llm_res_tenant_exp")
        ]

    def __str__(self) -> str:
        return self.id


def _price_field(help_text: str = "", *, null: bool = False) -> models.DecimalField[Any, Any]:
    # Per-1M prices go down to fractions of a cent (Gemini Flash cache reads: 0.01875).
    return models.DecimalField(
        max_digits=12, decimal_places=6, null=null, blank=null, help_text=help_text
    )


class LLMPriceOverride(models.Model):
    """A price in USD per 1M tokens edited in the admin; wins over settings and the built-in table.

    Empty cache prices mean "same as input"; the long-context prices apply, when a threshold
    is set, to calls whose prompt (input + cache read + cache write) exceeds it.
    """

    provider = models.CharField(max_length=32, help_text="openai, azure_openai, anthropic, ...")
    model = models.CharField(max_length=128, help_text="Base model name; snapshots match it.")
    effective_from = models.DateField()
    input_per_mtok = _price_field("USD per 1M uncached input tokens.")
    output_per_mtok = _price_field("USD per 1M output tokens (reasoning included).")
    cache_read_per_mtok = _price_field("Empty: the input price.", null=True)
    cache_write_per_mtok = _price_field("Empty: the input price.", null=True)
    long_context_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Prompt tokens above which the prices below apply."
    )
    long_context_input_per_mtok = _price_field(null=True)
    long_context_output_per_mtok = _price_field(null=True)
    long_context_cache_read_per_mtok = _price_field(null=True)
    long_context_cache_write_per_mtok = _price_field(null=True)
    note = models.CharField(max_length=200, blank=True, help_text="Why (contract, region...).")
    updated = models.DateTimeField(auto_now=True)

    objects: models.Manager[LLMPriceOverride] = models.Manager()

    class Meta:
        db_table = "netrun_llm_price_override"
        verbose_name = "LLM price override"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "model", "effective_from"],
                name="netrun_llm_price_one_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} from {self.effective_from}"


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


def current_spend(tenant_id: str, timezone_name: str = "UTC") -> dict[Period, BudgetSpend | None]:
    """Today's and this month's :class:`BudgetSpend` rows of a tenant (``None`` if none yet)."""
    now = dt.datetime.now(dt.timezone.utc)
    result: dict[Period, BudgetSpend | None] = {}
    for window in windows_for(now, daily_limit=None, monthly_limit=None, timezone=timezone_name):
        result[window.period] = BudgetSpend.objects.filter(
            tenant_id=tenant_id, period=window.period.value, period_start=window.start
        ).first()
    return result
