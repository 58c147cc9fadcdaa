"""A tenant's LLM policy and the rules a call is checked against, in order.

:class:`TenantPolicy` holds the budgets (USD) and one :class:`ProviderPolicy` per provider;
:func:`check_rules` applies every rule that needs no shared state, and
:class:`~netrun.llm.policy.enforcer.PolicyEnforcer` adds the rate limits and budgets. The
first rule that refuses names itself in the error's ``details["rule"]`` and in the
``llm_policy_decision`` log line (which never holds the prompt):

==========================  =====================================================  ======
rule                        refuses when                                           error
==========================  =====================================================  ======
``reason_required``         the tenant or provider requires a reason and none is   403
``provider_not_allowed``    the provider is disabled, or unlisted and unlisted     403
                            providers are not allowed
``model_denied``            the model matches the deny list                        403
``model_not_allowed``       an allow list exists and the model is not on it        403
``unknown_price``           the model has no known price and a budget, a cost      403
                            limit or a tier limit needs one
``cost_tier``               the model's tier is above ``cost_tier_limit``          403
``max_cost_per_request``    the worst-case cost is above the limit (checked        403
                            before tokens)
``max_tokens_per_request``  input + output tokens are above the limit              403
``rate_limit_rpm``          requests per minute for this tenant and provider       429
``rate_limit_tpm``          tokens per minute (counted as tokens, not requests)    429
``daily_budget``            the day's spent + reserved + this call is above it     429
``monthly_budget``          the same for the month                                 429
``scope_budget``            the same for a user, API key or tag budget of the      429
                            call (``details["scope"]``, ``details["period"]``)
==========================  =====================================================  ======

Framework-neutral: no Django import.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from netrun.errors import PermissionDeniedError
from netrun.llm.policy.pricing import (
    CostTier,
    ModelPrice,
    PriceTable,
    model_aliases,
    normalize_provider,
)
from netrun.llm.policy.scopes import ScopeBudget

__all__ = [
    "PolicyDecision",
    "PolicyViolationError",
    "ProviderPolicy",
    "TenantPolicy",
    "check_rules",
]


_Money = Decimal | float | int | str


def _money(value: _Money | None, name: str) -> Decimal | None:
    if value is None:
        return None
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be a non-negative amount of USD, not {value!r}")
    return amount


def _positive(value: int | None, name: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive integer or None, not {value!r}")
    return value


def _tokens(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    return value


class PolicyViolationError(PermissionDeniedError):
    """A tenant's LLM policy refuses the request; ``details["rule"]`` names the rule."""

    error_code = "LLM_POLICY_VIOLATION"
    default_message = "The tenant's LLM policy does not allow this request."

    @property
    def rule(self) -> str:
        return str(self.details.get("rule", ""))


@dataclass(frozen=True)
class ProviderPolicy:
    """What a tenant may do with one provider.

    ``allowed_models`` / ``denied_models`` hold names or globs (``"gpt-4o*"``); a dated
    snapshot (``gpt-4o-2024-08-06``) matches its base name too. ``None`` or an empty allow
    list allows every model that is not denied. Costs are USD.
    """

    provider: str
    allowed_models: Sequence[str] | None = None
    denied_models: Sequence[str] = ()
    max_tokens_per_request: int | None = None
    max_cost_per_request: _Money | None = None
    rate_limit_rpm: int | None = None
    rate_limit_tpm: int | None = None
    cost_tier_limit: CostTier | None = None
    require_reason: bool = False
    enabled: bool = True

    def __post_init__(self) -> None:
        # Frozen: normalise through object.__setattr__ once, so checks compare like with like.
        set_ = object.__setattr__
        set_(self, "provider", normalize_provider(self.provider))
        allowed = [m.strip().lower() for m in self.allowed_models or ()]
        set_(self, "allowed_models", tuple(allowed) or None)
        set_(self, "denied_models", tuple(m.strip().lower() for m in self.denied_models))
        set_(
            self,
            "max_cost_per_request",
            _money(self.max_cost_per_request, "max_cost_per_request"),
        )
        _positive(self.max_tokens_per_request, "max_tokens_per_request")
        _positive(self.rate_limit_rpm, "rate_limit_rpm")
        _positive(self.rate_limit_tpm, "rate_limit_tpm")
        if self.cost_tier_limit is not None:
            set_(self, "cost_tier_limit", CostTier(self.cost_tier_limit))

    @property
    def max_cost(self) -> Decimal | None:
        return cast("Decimal | None", self.max_cost_per_request)  # normalised in __post_init__

    def model_rule(self, model: str) -> str | None:
        """The rule that refuses ``model`` (``model_denied`` / ``model_not_allowed``), or None."""
        names = model_aliases(model)
        if any(fnmatch.fnmatchcase(name, p) for name in names for p in self.denied_models):
            return "model_denied"
        if self.allowed_models is not None and not any(
            fnmatch.fnmatchcase(name, p) for name in names for p in self.allowed_models
        ):
            return "model_not_allowed"
        return None


@dataclass(frozen=True)
class TenantPolicy:
    """A tenant's LLM policy: budgets (USD, ``None`` = no cap) and one rule per provider.

    Budget days, weeks and months run in ``timezone`` (UTC by default). ``scope_budgets``
    cap users, API keys and feature tags inside the tenant (:class:`ScopeBudget`). Providers without a rule are
    allowed when ``allow_unlisted_providers`` is true (the tenant budgets still apply), which
    is what lets ``fallback_to_local`` reach the local model.
    """

    tenant_id: str
    monthly_budget_usd: _Money | None = None
    daily_budget_usd: _Money | None = None
    fallback_to_local: bool = False
    provider_policies: Mapping[str, ProviderPolicy] = field(default_factory=dict)
    require_reason: bool = False
    allow_unlisted_providers: bool = True
    timezone: str = "UTC"
    local_provider: str = "ollama"
    scope_budgets: tuple[ScopeBudget, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        budgets = tuple(self.scope_budgets)
        for budget in budgets:
            if not isinstance(budget, ScopeBudget):
                raise ValueError(f"scope_budgets must hold ScopeBudget items, not {budget!r}")
        set_(self, "scope_budgets", budgets)
        set_(self, "monthly_budget_usd", _money(self.monthly_budget_usd, "monthly_budget_usd"))
        set_(self, "daily_budget_usd", _money(self.daily_budget_usd, "daily_budget_usd"))
        set_(
            self,
            "provider_policies",
            {normalize_provider(name): rule for name, rule in self.provider_policies.items()},
        )
        if self.timezone not in ("", "UTC"):
            import zoneinfo

            try:
                zoneinfo.ZoneInfo(self.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError(f"unknown time zone {self.timezone!r}") from error

    @property
    def daily_budget(self) -> Decimal | None:
        return cast("Decimal | None", self.daily_budget_usd)  # normalised in __post_init__

    @property
    def monthly_budget(self) -> Decimal | None:
        return cast("Decimal | None", self.monthly_budget_usd)

    @property
    def has_budget(self) -> bool:
        return (
            self.daily_budget_usd is not None
            or self.monthly_budget_usd is not None
            or bool(self.scope_budgets)
        )

    def provider_policy(self, provider: str) -> ProviderPolicy | None:
        return self.provider_policies.get(normalize_provider(provider))


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """What :meth:`PolicyEnforcer.validate_request` admitted."""

    provider: str
    model: str
    tokens: int
    estimated_cost_usd: Decimal | None
    tier: CostTier | None


def check_rules(
    policy: TenantPolicy,
    prices: PriceTable,
    provider: str,
    model: str,
    *,
    tokens: int,
    worst_case: Callable[[ModelPrice], Decimal],
    reason: str | None,
    day: dt.date,
) -> tuple[ModelPrice | None, Decimal | None]:
    """Every rule that needs no shared state, in order; returns the price (``None``:
    unknown) and the worst-case cost ``worst_case`` gives, or raises the first refusal
    as :class:`PolicyViolationError`."""

    def refuse(rule_name: str, message: str) -> PolicyViolationError:
        return PolicyViolationError(
            message, rule=rule_name, provider=provider, model=model, tenant_id=policy.tenant_id
        )

    rule = policy.provider_policy(provider)
    if (policy.require_reason or (rule is not None and rule.require_reason)) and not (
        reason and reason.strip()
    ):
        raise refuse("reason_required", "A reason is required for LLM requests.")
    if rule is None and not policy.allow_unlisted_providers:
        raise refuse("provider_not_allowed", f"Provider {provider!r} is not allowed.")
    if rule is not None and not rule.enabled:
        raise refuse("provider_not_allowed", f"Provider {provider!r} is disabled.")
    if rule is not None:
        model_rule = rule.model_rule(model)
        if model_rule is not None:
            raise refuse(model_rule, f"Model {model!r} is not allowed for {provider}.")
    price = prices.lookup(provider, model, day)
    needs_price = policy.has_budget or (
        rule is not None
        and (rule.max_cost_per_request is not None or rule.cost_tier_limit is not None)
    )
    if price is None:
        if needs_price:
            raise refuse(
                "unknown_price",
                f"Model {model!r} has no known price, and this tenant's policy limits cost.",
            )
        return None, None
    cost = worst_case(price)
    if rule is not None:
        if rule.cost_tier_limit is not None and price.tier > rule.cost_tier_limit:
            raise refuse(
                "cost_tier",
                f"Model {model!r} is in cost tier {price.tier.name}, above "
                f"{rule.cost_tier_limit.name}.",
            )
        # Cost before tokens: a request within its token limit can still cost too much,
        # and the cost refusal is the one callers act on.
        if rule.max_cost is not None and cost > rule.max_cost:
            raise refuse(
                "max_cost_per_request",
                f"Estimated cost {cost:.6f} USD is above the limit of {rule.max_cost} USD.",
            )
        if rule.max_tokens_per_request is not None and tokens > rule.max_tokens_per_request:
            raise refuse(
                "max_tokens_per_request",
                f"{tokens} tokens are above the limit of {rule.max_tokens_per_request}.",
            )
    return price, cost
