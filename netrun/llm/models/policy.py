"""Tenant policies as edited in the admin: a tenant's record, its provider rules, its scope
budgets (per user, API key or feature tag), and :func:`get_tenant_policy`, which reads them
through Django's cache.

Rows are keyed by a plain, indexed ``tenant_id`` string rather than a foreign key to the
tenant model: Redis-only deployments keep policies without a tenant table, and
``netrun.llm`` migrations stay independent of ``netrun.rbac``'s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from netrun.llm.attribution import api_key_context, validate_tag
from netrun.llm.models._tenant import tenant_label
from netrun.llm.policy.ledgers import BudgetLedger, BudgetWindow, WindowUsage, default_ledger
from netrun.llm.policy.ledgers.base import period_window, to_micros
from netrun.llm.policy.pricing import CostTier
from netrun.llm.policy.rules import ProviderPolicy, TenantPolicy
from netrun.llm.policy.scopes import ScopeBudget, scope_key
from netrun.logging import get_logger

__all__ = [
    "ProviderRule",
    "ScopeBudgetRecord",
    "TenantPolicyRecord",
    "get_tenant_policy",
    "invalidate_tenant_policy",
    "parse_thresholds",
    "scope_budget_usage",
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

    def to_policy(self, scope_budgets: tuple[ScopeBudget, ...] = ()) -> TenantPolicy:
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
            scope_budgets=scope_budgets,
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


_KIND_CHOICES = [("user", "User"), ("key", "API key or service account"), ("tag", "Feature tag")]
_PERIOD_CHOICES = [
    ("day", "Day"),
    ("week", "Week (ISO, from Monday)"),
    ("month", "Month"),
    ("hours", "Every N hours"),
]
_MAX_HOURS = 744  # 31 days, as ScopeBudget accepts


def parse_thresholds(text: str) -> tuple[int, ...] | None:
    """``"50, 80, 100"`` as ``(50, 80, 100)``; ``None`` when empty (the tenant's default).

    A ``ValueError`` names what is wrong: each threshold is a whole percentage from 1 to 100.
    """
    parts = _lines(text)
    if not parts:
        return None
    found: set[int] = set()
    for part in parts:
        number = part.removesuffix("%").strip()
        if not number.isdigit() or not 1 <= int(number) <= 100:
            raise ValueError(f"{part!r} is not a whole percentage from 1 to 100.")
        found.add(int(number))
    return tuple(sorted(found))


class ScopeBudgetRecord(models.Model):
    """A budget of one user, API key or feature tag of a tenant (or of each of them, when
    ``value`` is blank), as edited in the admin; :meth:`to_scope_budget` builds the core
    :class:`~netrun.llm.policy.scopes.ScopeBudget`. Only enabled rows reach the policy."""

    tenant_id = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=8, choices=_KIND_CHOICES)
    value = models.CharField(
        max_length=128,
        blank=True,
        help_text=(
            "The user's ID, the API key's ID or the tag; blank: every user (key, tag) of the "
            "tenant, each with this limit of its own."
        ),
    )
    limit_usd = models.DecimalField("limit (USD)", max_digits=12, decimal_places=4)
    period = models.CharField(
        max_length=8,
        choices=_PERIOD_CHOICES,
        help_text=(
            "Days, weeks and months run in the tenant policy's time zone; N-hour windows are "
            "counted from the epoch in UTC (a 5-hour budget resets every 5 hours)."
        ),
    )
    hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(_MAX_HOURS)],
        help_text=f"The window's length, for the period 'Every N hours' only (1 to {_MAX_HOURS}).",
    )
    alert_thresholds = models.CharField(
        max_length=64,
        blank=True,
        help_text="Percentages of the limit that alert, e.g. 50, 80, 100; blank: the default.",
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "LLM scope budget"
        verbose_name_plural = "LLM scope budgets"
        db_table = "netrun_llm_scope_budget"
        ordering = ("tenant_id", "kind", "value", "period", "hours")
        # NULL hours (every period but "hours") would never collide: one constraint per case.
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "kind", "value", "period"],
                condition=Q(hours__isnull=True),
                name="netrun_llm_scope_budget_one_per_period",
                violation_error_message="This tenant already has this budget for this scope.",
            ),
            models.UniqueConstraint(
                fields=["tenant_id", "kind", "value", "period", "hours"],
                condition=Q(hours__isnull=False),
                name="netrun_llm_scope_budget_one_per_hours",
                violation_error_message="This tenant already has this budget for this scope.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope_label} budget of {tenant_label(self.tenant_id)}"

    @property
    def scope_label(self) -> str:
        """``"user 42"``, or ``"every user"`` for a default limit."""
        kind = {"key": "API key", "tag": "tag"}.get(self.kind, self.kind)
        return f"{kind} {self.value}" if self.value else f"every {kind}"

    @property
    def period_label(self) -> str:
        """``"day"``, ``"week"``, ``"month"`` or ``"5 hours"``."""
        return f"{self.hours} hours" if self.period == "hours" else self.period

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.limit_usd is not None and self.limit_usd <= 0:
            errors["limit_usd"] = "A limit is more than 0 USD (untick enabled to pause a budget)."
        self.value = self.value.strip()
        if self.value and self.kind == "tag":
            try:
                validate_tag(self.value)
            except ValueError as error:
                errors["value"] = f"{error}."
        elif self.value and self.kind == "key":
            try:
                api_key_context(self.value)  # validates as a call's binding would; binds nothing
            except ValueError as error:
                errors["value"] = f"{error}."
        if self.period == "hours" and self.hours is None:
            errors["hours"] = f"The period 'Every N hours' needs hours (1 to {_MAX_HOURS})."
        elif self.period != "hours" and self.hours is not None:
            errors["hours"] = "Only the period 'Every N hours' takes hours: leave it empty."
        try:
            thresholds = parse_thresholds(self.alert_thresholds)
        except ValueError as error:
            errors["alert_thresholds"] = str(error)
        else:
            self.alert_thresholds = ", ".join(map(str, thresholds or ()))
        if errors:
            raise ValidationError(errors)

    def to_scope_budget(self) -> ScopeBudget:
        return ScopeBudget(
            kind=self.kind,  # type: ignore[arg-type]  # one of the choices
            value=self.value or None,
            limit_usd=self.limit_usd,
            period=self.period,  # type: ignore[arg-type]
            hours=self.hours if self.period == "hours" else None,
            alert_thresholds=parse_thresholds(self.alert_thresholds),
        )


def scope_budget_usage(
    record: ScopeBudgetRecord,
    *,
    ledger: BudgetLedger | None = None,
    now: dt.datetime | None = None,
) -> tuple[BudgetWindow, WindowUsage] | None:
    """The window ``record`` caps at ``now`` (in its tenant policy's time zone) and what the
    ledger (default: the configured one) holds in it; ``None`` for a default limit (blank
    ``value``), whose every user, key or tag has a window of its own."""
    if not record.value:
        return None
    budget = record.to_scope_budget()
    policy = get_tenant_policy(record.tenant_id)
    window = period_window(
        now or dt.datetime.now(dt.timezone.utc),
        budget.period,
        limit=to_micros(budget.limit_usd),
        timezone=policy.timezone if policy is not None else "UTC",
        scope=scope_key(budget.kind, record.value),
        hours=budget.hours,
    )
    return window, (ledger or default_ledger()).usage(record.tenant_id, window)


def _cache_key(tenant_id: str) -> str:
    return f"{_CACHE_PREFIX}{tenant_id}"


def get_tenant_policy(tenant_id: str, *, timeout: float = 300) -> TenantPolicy | None:
    """The tenant's policy from the database, through Django's cache; ``None`` if it has none.

    Its ``scope_budgets`` are the tenant's enabled :class:`ScopeBudgetRecord` rows; a tenant
    with scope budgets and no :class:`TenantPolicyRecord` gets a policy with those budgets
    only. A change saved anywhere (admin, shell, another process) to either deletes the
    cached entry through the receivers in :mod:`netrun.llm.receivers`; ``timeout`` bounds
    staleness if a change bypassed signals (``QuerySet.update``).
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
    record: TenantPolicyRecord | None = (
        TenantPolicyRecord.objects.prefetch_related("provider_rules")
        .filter(tenant_id=tenant_id)
        .first()
    )
    budgets = tuple(
        row.to_scope_budget()
        for row in ScopeBudgetRecord.objects.filter(tenant_id=tenant_id, enabled=True)
    )
    if record is None:
        # Scope budgets hold without a tenant record: the tenant is otherwise uncapped.
        return TenantPolicy(tenant_id, scope_budgets=budgets) if budgets else None
    return record.to_policy(budgets)


def invalidate_tenant_policy(tenant_id: str) -> None:
    cache.delete(_cache_key(tenant_id))
