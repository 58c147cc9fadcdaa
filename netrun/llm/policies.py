"""Per-tenant, per-provider LLM policies, and budgets that concurrent calls cannot overspend.

::

    enforcer = PolicyEnforcer(tenant_policy)   # the process's shared ledger and limiter
    enforcer.validate_request(provider="openai", model="gpt-4o", estimated_tokens=2000,
                              reason="Customer support chatbot")        # check only
    reservation = enforcer.reserve(provider="openai", model="gpt-4o", messages=messages,
                                   max_output_tokens=800,
                                   reason="Customer support chatbot")   # check and hold
    try:
        response = call_the_model(messages, max_tokens=800)
    except BaseException:
        reservation.release()
        raise
    reservation.settle(response.usage)      # whatever usage object the SDK returned

Budgets hold across enforcers: one built per request shares, unless given ``ledger=`` and
``rate_limit_backend=``, the process's ledger (:func:`netrun.llm.budgets.default_ledger`, the
``budget_ledger`` setting: memory, Redis, PostgreSQL or the Django ORM) and the rate-limit
backend ``netrun.ratelimit`` is configured with.

A hold is an upper bound of what the call can cost, so concurrent calls cannot spend past a
budget whatever the text: the prompt counts at its UTF-8 byte length
(:func:`netrun.llm.types.prompt_token_bound`; every token of a byte-level BPE tokenizer
covers at least a byte) priced at the dearest of the input, cache-read and cache-write
prices, and the output at ``max_output_tokens``, which a reservation requires (send the same
number as the call's ``max_tokens``). A provider reporting more than that is charged what
it reports, and logged as ``llm_cost_above_reservation``.

Settlement reads any usage an official SDK returns (:func:`netrun.llm.types.usage_from`);
one it cannot read charges the whole hold and raises
:class:`~netrun.llm.types.UsageShapeError`. A settlement the ledger refuses is retried, then
kept in the process's outbox, which the next reservation (or
:func:`drain_pending_settlements`, from a periodic task) writes: a settled cost is not lost
while the process lives.

Rules are checked in this order, and the first that refuses names itself in the error's
``details["rule"]`` and in the ``llm_policy_decision`` log line (which never holds the prompt):

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
==========================  =====================================================  ======

Budget refusals are :class:`BudgetExceededError` (429, ``retry_after`` = seconds until the
period resets); a caller with ``enforcer.fallback_to_local`` then uses the local model. A
refused or failed attempt still counts towards RPM and TPM: the limit is on attempts.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import fnmatch
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from netrun.errors import (
    BudgetExceededError,
    PermissionDeniedError,
    RateLimitExceededError,
    ServiceUnavailableError,
)
from netrun.llm.budgets._default import default_ledger
from netrun.llm.budgets.base import (
    BudgetLedger,
    BudgetWindow,
    ReservationRefused,
    WindowUsage,
    budget_listeners,
    from_micros,
    retry_after,
    to_micros,
    windows_for,
)
from netrun.llm.pricing import (
    CostTier,
    ModelPrice,
    PriceTable,
    current_price_table,
    model_aliases,
    normalize_provider,
)
from netrun.llm.types import ChatMessage, UsageShapeError, prompt_token_bound, usage_from
from netrun.logging import get_logger
from netrun.ratelimit import Backend, RateLimiter

__all__ = [
    "BudgetExceededError",
    "CostTier",
    "PolicyDecision",
    "PolicyEnforcer",
    "PolicyViolationError",
    "ProviderPolicy",
    "Reservation",
    "TenantPolicy",
    "drain_pending_settlements",
    "pending_settlements",
]

logger = get_logger(__name__)

_Money = Decimal | float | int | str
_MTOK = Decimal(1_000_000)


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


#: Attempts of a settlement before it goes to the outbox, and the first pause between them.
SETTLE_ATTEMPTS = 3
SETTLE_BACKOFF = 0.05


@dataclass(frozen=True, slots=True)
class _PendingSettlement:
    ledger: BudgetLedger
    tenant_id: str
    reservation_id: str
    windows: tuple[BudgetWindow, ...]
    actual: int


class _Outbox:
    """Settlements a ledger refused after the retries, written by the next drain."""

    def __init__(self) -> None:
        self._items: deque[_PendingSettlement] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: _PendingSettlement) -> None:
        with self._lock:
            self._items.append(item)

    def drain(self) -> int:
        """Write what can be written; return how many settlements are still pending."""
        with self._lock:
            items = list(self._items)
            self._items.clear()
        failed: list[_PendingSettlement] = []
        for item in items:
            try:
                item.ledger.settle(item.tenant_id, item.reservation_id, item.windows, item.actual)
            except Exception as error:
                failed.append(item)
                logger.warning(
                    "llm_budget_settle_pending",
                    tenant_id=item.tenant_id,
                    actual_micros=item.actual,
                    error=f"{type(error).__name__}: {error}",
                )
            else:
                logger.info(
                    "llm_budget_settle_recovered",
                    tenant_id=item.tenant_id,
                    actual_micros=item.actual,
                )
        if failed:
            with self._lock:
                self._items.extendleft(reversed(failed))
        return len(self._items)

    def drain_at_exit(self) -> None:
        if self._items and self.drain():
            for item in self._items:
                # The last trace of this spend: the line an operator reconciles from.
                logger.error(
                    "llm_budget_settle_lost",
                    tenant_id=item.tenant_id,
                    reservation_id=item.reservation_id,
                    actual_micros=item.actual,
                )


_outbox = _Outbox()
atexit.register(_outbox.drain_at_exit)


def pending_settlements() -> int:
    """How many settled costs of this process wait in the outbox for their ledger."""
    return len(_outbox)


def drain_pending_settlements() -> int:
    """Write the outbox's settlements to their ledgers; return how many are still pending.

    The next reservation of any enforcer drains it too; call this from a periodic task in a
    process that may go quiet while its ledger is down.
    """
    return _outbox.drain()


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

    Budget days and months run in ``timezone`` (UTC by default). Providers without a rule are
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

    def __post_init__(self) -> None:
        set_ = object.__setattr__
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
        return self.daily_budget_usd is not None or self.monthly_budget_usd is not None

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


class Reservation:
    """A hold on the tenant's budgets for one call; settle it or release it, once.

    Also a context manager: leaving the block with an exception releases the hold, and
    leaving it without a settlement releases it too (and logs that it was never settled).
    """

    def __init__(
        self,
        enforcer: PolicyEnforcer,
        *,
        reservation_id: str,
        provider: str,
        model: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        price: ModelPrice | None,
    ) -> None:
        self.enforcer = enforcer
        self.id = reservation_id
        self.provider = provider
        self.model = model
        self.windows = tuple(windows)
        self.amount_micros = amount
        self.price = price
        #: The real cost once settled (``None`` before, or when the price is unknown).
        self.cost: Decimal | None = None
        self.state = "held"
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Reservation({self.provider}/{self.model}, {self.amount_usd} USD, {self.state})"

    @property
    def amount_usd(self) -> Decimal:
        return from_micros(self.amount_micros)

    def _close(self, state: str) -> bool:
        with self._lock:
            if self.state != "held":
                return False
            self.state = state
            return True

    def _actual(self, usage: Any) -> int:
        counts = usage_from(usage)  # first: an unreadable usage is refused even when unpriced
        if self.price is None:
            # Only tenants without budgets or cost rules get here; count it, loudly.
            logger.warning(
                "llm_cost_unknown",
                tenant_id=self.enforcer.policy.tenant_id,
                provider=self.provider,
                model=self.model,
            )
            return 0
        self.cost = self.price.usage_cost(counts)
        actual = to_micros(self.cost)
        if counts.estimated:
            # Counted locally (a stream abandoned before the provider's usage): the hold is
            # the bound of what the provider bills, the local count is not.
            actual = max(actual, self.amount_micros)
            self.cost = from_micros(actual)
        return actual

    def _settlement(self, usage: Any) -> tuple[int, UsageShapeError | None]:
        """The micro-dollars to charge for ``usage``, and the error to raise after charging."""
        try:
            actual = self._actual(usage)
        except UsageShapeError as error:
            logger.error(
                "llm_usage_unreadable",
                tenant_id=self.enforcer.policy.tenant_id,
                provider=self.provider,
                model=self.model,
                charged_micros=self.amount_micros,
                error=str(error),
            )
            self.cost = None if self.price is None else self.amount_usd
            return self.amount_micros, error
        if actual > self.amount_micros:
            # The hold was not a bound of this call (tools or files sent besides the
            # messages, or a provider counting differently): charged anyway, since it was
            # billed, but the budget may now be passed.
            logger.error(
                "llm_cost_above_reservation",
                tenant_id=self.enforcer.policy.tenant_id,
                provider=self.provider,
                model=self.model,
                reserved_micros=self.amount_micros,
                actual_micros=actual,
            )
        return actual, None

    def settle(self, usage: Any) -> None:
        """Replace the hold with the cost of ``usage``: netrun's ``Usage`` or whatever usage
        an official SDK returned (see :func:`~netrun.llm.types.usage_from`).

        An unreadable usage charges the whole hold, then raises
        :class:`~netrun.llm.types.UsageShapeError`: the call happened and must not look free.
        A usage marked ``estimated`` (counted locally) is charged at least the hold.
        """
        if not self._close("settled"):
            return
        actual, error = self._settlement(usage)
        self.enforcer._settle(self, actual)
        if error is not None:
            raise error

    def release(self) -> None:
        """Give the hold back: the call failed or was cancelled before any usage."""
        if self._close("released"):
            self.enforcer._release(self)

    async def asettle(self, usage: Any) -> None:
        """:meth:`settle` with the ledger write in a worker thread."""
        if not self._close("settled"):
            return
        actual, error = self._settlement(usage)
        await asyncio.to_thread(self.enforcer._settle, self, actual)
        if error is not None:
            raise error

    async def arelease(self) -> None:
        if self._close("released"):
            await asyncio.to_thread(self.enforcer._release, self)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self.state == "held" and exc is None:
            logger.warning("llm_reservation_not_settled", provider=self.provider, model=self.model)
        self.release()


class PolicyEnforcer:
    """Checks calls against one :class:`TenantPolicy` and holds their worst-case cost.

    Cheap to build (limiters are created on first use), so glue can build one per request:
    budgets and rate limits live in the ``ledger`` and ``rate_limit_backend``, which default
    to the process's shared ones, :func:`netrun.llm.budgets.default_ledger` (the
    ``budget_ledger`` setting: in-memory unless Redis, PostgreSQL or the Django ORM is
    configured) and :func:`netrun.ratelimit.conf.get_backend` (``NETRUN_RATELIMIT_BACKEND``).
    Several processes serving the same tenants need a Redis or database ledger and the Redis
    backend. ``reservation_ttl`` (seconds) should exceed the longest call: a hold older than
    that is presumed dead and its budget returned.
    """

    def __init__(
        self,
        policy: TenantPolicy,
        *,
        ledger: BudgetLedger | None = None,
        rate_limit_backend: Backend | None = None,
        prices: PriceTable | None = None,
        reservation_ttl: float = 900.0,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.policy = policy
        self.ledger = ledger if ledger is not None else default_ledger()
        if rate_limit_backend is None:
            from netrun.ratelimit.conf import get_backend

            rate_limit_backend = get_backend()
        self.rate_limit_backend = rate_limit_backend
        # None: the current table at each lookup, so admin price changes apply at once.
        self._prices = prices
        self.reservation_ttl = reservation_ttl
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._limiters: dict[tuple[str, str], RateLimiter] = {}
        self._windows: tuple[BudgetWindow, ...] = ()
        daily, monthly = policy.daily_budget, policy.monthly_budget
        self._daily = None if daily is None else to_micros(daily)
        self._monthly = None if monthly is None else to_micros(monthly)

    @property
    def prices(self) -> PriceTable:
        return self._prices if self._prices is not None else current_price_table()

    @property
    def fallback_to_local(self) -> bool:
        return self.policy.fallback_to_local

    @property
    def local_provider(self) -> str:
        return self.policy.local_provider

    # ------------------------------------------------------------------ checks

    def _refuse(self, rule: str, provider: str, model: str, message: str) -> PolicyViolationError:
        self._log_denial(rule, provider, model)
        return PolicyViolationError(
            message, rule=rule, provider=provider, model=model, tenant_id=self.policy.tenant_id
        )

    def _log_denial(self, rule: str, provider: str, model: str) -> None:
        logger.info(
            "llm_policy_decision",
            decision="deny",
            rule=rule,
            tenant_id=self.policy.tenant_id,
            provider=provider,
            model=model,
        )

    def _check(
        self,
        provider: str,
        model: str,
        *,
        tokens: int,
        worst_case: Callable[[ModelPrice], Decimal],
        reason: str | None,
    ) -> tuple[ModelPrice | None, Decimal | None]:
        """Every rule that needs no shared state; returns the price and worst-case cost."""

        def refuse(rule_name: str, message: str) -> PolicyViolationError:
            return self._refuse(rule_name, provider, model, message)

        policy = self.policy
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
        price = self.prices.lookup(provider, model, self._clock().date())
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

    def _limiter(self, provider: str, kind: str, limit: int) -> RateLimiter:
        limiter = self._limiters.get((provider, kind))
        if limiter is None or limiter.limit != limit:
            limiter = RateLimiter(f"{limit}/m", self.rate_limit_backend, prefix=f"llm:{kind}:")
            self._limiters[(provider, kind)] = limiter
        return limiter

    def _rate_limits(self, provider: str, model: str, tokens: int) -> None:
        rule = self.policy.provider_policy(provider)
        if rule is None:
            return
        key = f"{self.policy.tenant_id}:{rule.provider}"
        if rule.rate_limit_tpm is not None and tokens > rule.rate_limit_tpm:
            raise self._refuse(
                "rate_limit_tpm",
                provider,
                model,
                f"{tokens} tokens can never fit a limit of {rule.rate_limit_tpm} per minute.",
            )
        checks = (("rpm", rule.rate_limit_rpm, 1), ("tpm", rule.rate_limit_tpm, tokens))
        for kind, limit, cost in checks:
            if limit is None:
                continue
            decision = self._limiter(rule.provider, kind, limit).hit(key, cost)
            if not decision.allowed:
                self._log_denial(f"rate_limit_{kind}", provider, model)
                raise RateLimitExceededError(
                    f"The {kind.upper()} limit of {limit} for {provider} is reached.",
                    retry_after=decision.retry_after,
                    rule=f"rate_limit_{kind}",
                    provider=provider,
                    model=model,
                    tenant_id=self.policy.tenant_id,
                )

    def _current_windows(self) -> tuple[BudgetWindow, ...]:
        now = self._clock()
        # Recomputed only when the day rolls over: time-zone maths on every call would be
        # most of the in-memory path's cost.
        if not self._windows or now >= self._windows[0].resets_at:
            self._windows = windows_for(
                now,
                daily_limit=self._daily,
                monthly_limit=self._monthly,
                timezone=self.policy.timezone,
            )
        return self._windows

    def _budget_error(
        self, window: BudgetWindow, usage: WindowUsage, provider: str, model: str
    ) -> BudgetExceededError:
        rule = f"{'daily' if window.period.value == 'day' else 'monthly'}_budget"
        self._log_denial(rule, provider, model)
        return BudgetExceededError(
            f"The {rule.replace('_', ' ')} of {from_micros(window.limit or 0)} USD is used up.",
            retry_after=retry_after(window, self._clock()),
            rule=rule,
            provider=provider,
            model=model,
            tenant_id=self.policy.tenant_id,
            spent_usd=str(from_micros(usage.spent)),
            reserved_usd=str(from_micros(usage.reserved)),
            fallback_to_local=self.policy.fallback_to_local,
        )

    # ------------------------------------------------------------------ API

    def validate_request(
        self,
        provider: str,
        model: str,
        estimated_tokens: int,
        reason: str | None = None,
        *,
        max_output_tokens: int | None = None,
    ) -> PolicyDecision:
        """Check a request against every rule, counting it towards RPM and TPM, holding nothing.

        With ``max_output_tokens`` the estimate splits into input and output; without it,
        every token is priced at the higher of the input and output prices (the split is
        unknown, so the bound must hold for any split). The budget check reads the ledger;
        use :meth:`reserve` to hold the budget atomically.
        """
        tokens = int(estimated_tokens) + int(max_output_tokens or 0)

        def worst_case(price: ModelPrice) -> Decimal:
            if max_output_tokens is not None:
                return price.worst_case_cost(estimated_tokens, max_output_tokens)
            # Any split is possible: every token at the dearest rate in force for a prompt
            # that long (a long-context tier prices the output above its threshold too).
            flat = price.for_prompt(tokens)
            return max(price.worst_case_cost(tokens, 0), flat.output_per_mtok * tokens / _MTOK)

        price, cost = self._check(
            provider, model, tokens=tokens, worst_case=worst_case, reason=reason
        )
        self._rate_limits(provider, model, tokens)
        amount = 0 if cost is None else to_micros(cost)
        for window in self._current_windows():
            if window.limit is None:
                continue
            usage = self.ledger.usage(self.policy.tenant_id, window)
            if usage.spent + usage.reserved + amount > window.limit:
                raise self._budget_error(window, usage, provider, model)
        logger.debug(
            "llm_policy_decision",
            decision="allow",
            tenant_id=self.policy.tenant_id,
            provider=provider,
            model=model,
        )
        return PolicyDecision(provider, model, tokens, cost, None if price is None else price.tier)

    def reserve(
        self,
        *,
        provider: str,
        model: str,
        max_output_tokens: int,
        estimated_input_tokens: int = 0,
        messages: str | Sequence[ChatMessage] | None = None,
        reason: str | None = None,
    ) -> Reservation:
        """Check every rule and hold the most the call can cost (list price) in the budgets.

        The prompt counts as the larger of ``estimated_input_tokens`` (which must then be an
        upper bound, not an average) and :func:`~netrun.llm.types.prompt_token_bound` of
        ``messages``; the output as ``max_output_tokens``, the ``max_tokens`` the call must
        send. Raises :class:`PolicyViolationError`, :class:`RateLimitExceededError`,
        :class:`BudgetExceededError`, or :class:`ServiceUnavailableError` when the ledger
        cannot be reached (budgets fail closed: an unverifiable budget is not spent).
        """
        if max_output_tokens is None:
            raise ValueError(
                "max_output_tokens is required: a reservation must bound the call's output "
                "(send the same number as the call's max_tokens)"
            )
        output = _tokens(max_output_tokens, "max_output_tokens")
        prompt = _tokens(estimated_input_tokens, "estimated_input_tokens")
        if messages is not None:
            prompt = max(prompt, prompt_token_bound(messages))
        tokens = prompt + output
        price, cost = self._check(
            provider,
            model,
            tokens=tokens,
            worst_case=lambda p: p.worst_case_cost(prompt, output),
            reason=reason,
        )
        self._rate_limits(provider, model, tokens)
        amount = 0 if cost is None else to_micros(cost)
        windows = self._current_windows()
        reservation_id = uuid.uuid4().hex
        if len(_outbox):
            _outbox.drain()  # settled costs first: they count before new holds
        try:
            self.ledger.reserve(
                self.policy.tenant_id, reservation_id, windows, amount, self.reservation_ttl
            )
        except ReservationRefused as exhausted:
            raise self._budget_error(exhausted.window, exhausted.usage, provider, model) from None
        except Exception as error:
            logger.error(
                "llm_budget_ledger_unavailable",
                tenant_id=self.policy.tenant_id,
                ledger=type(self.ledger).__name__,
                error=f"{type(error).__name__}: {error}",
            )
            raise ServiceUnavailableError(
                "The LLM budget ledger is unavailable.", rule="budget_ledger_unavailable"
            ) from error
        self._report_budget(windows)
        logger.debug(
            "llm_policy_decision",
            decision="allow",
            tenant_id=self.policy.tenant_id,
            provider=provider,
            model=model,
            reserved_micros=amount,
        )
        return Reservation(
            self,
            reservation_id=reservation_id,
            provider=provider,
            model=model,
            windows=windows,
            amount=amount,
            price=price,
        )

    async def areserve(
        self,
        *,
        provider: str,
        model: str,
        max_output_tokens: int,
        estimated_input_tokens: int = 0,
        messages: str | Sequence[ChatMessage] | None = None,
        reason: str | None = None,
    ) -> Reservation:
        """:meth:`reserve` in a worker thread, so a network ledger never blocks the loop."""
        return await asyncio.to_thread(
            lambda: self.reserve(
                provider=provider,
                model=model,
                max_output_tokens=max_output_tokens,
                estimated_input_tokens=estimated_input_tokens,
                messages=messages,
                reason=reason,
            )
        )

    def budget_status(self) -> list[dict[str, Any]]:
        """Today's and this month's limit, spent, reserved and remaining USD."""
        status = []
        for window in self._current_windows():
            usage = self.ledger.usage(self.policy.tenant_id, window)
            limit = None if window.limit is None else from_micros(window.limit)
            status.append(
                {
                    "period": window.period.value,
                    "start": window.start,
                    "limit_usd": limit,
                    "spent_usd": from_micros(usage.spent),
                    "reserved_usd": from_micros(usage.reserved),
                    "remaining_usd": None
                    if window.limit is None
                    else from_micros(max(0, window.limit - usage.spent - usage.reserved)),
                    "resets_at": window.resets_at,
                }
            )
        return status

    # ------------------------------------------------------------------ reservation callbacks

    def _report_budget(self, windows: Sequence[BudgetWindow]) -> None:
        """Tell the budget listeners (the Prometheus gauge) what each capped window has left."""
        listeners = budget_listeners()
        if not listeners:
            return  # no extra ledger read unless someone listens
        tenant_id = self.policy.tenant_id
        try:
            for window in windows:
                if window.limit is None:
                    continue
                usage = self.ledger.usage(tenant_id, window)
                remaining = from_micros(max(0, window.limit - usage.spent - usage.reserved))
                for listener in listeners:
                    listener(tenant_id, window.period.value, remaining)
        except Exception as error:
            # A gauge is not worth failing or slowing down a call over.
            logger.warning(
                "llm_budget_report_failed",
                tenant_id=tenant_id,
                error=f"{type(error).__name__}: {error}",
            )

    def _settle(self, reservation: Reservation, actual: int) -> None:
        tenant_id = self.policy.tenant_id
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                self.ledger.settle(tenant_id, reservation.id, reservation.windows, actual)
            except Exception as error:
                last = error
                if attempt + 1 < SETTLE_ATTEMPTS:
                    time.sleep(SETTLE_BACKOFF * 2**attempt)  # a lock or a blip passes
            else:
                if len(_outbox):
                    _outbox.drain()  # the ledger answers again: write what waited
                self._report_budget(reservation.windows)
                return
        # The call succeeded; losing its answer over bookkeeping would be worse, and losing
        # its cost would let the budget be passed: the outbox keeps it for the next drain.
        _outbox.add(
            _PendingSettlement(self.ledger, tenant_id, reservation.id, reservation.windows, actual)
        )
        logger.error(
            "llm_budget_settle_failed",
            tenant_id=tenant_id,
            provider=reservation.provider,
            model=reservation.model,
            actual_micros=actual,
            pending=len(_outbox),
            error=f"{type(last).__name__}: {last}",
        )

    def _release(self, reservation: Reservation) -> None:
        try:
            self.ledger.release(self.policy.tenant_id, reservation.id)
        except Exception as error:
            logger.error(
                "llm_budget_release_failed",
                tenant_id=self.policy.tenant_id,
                error=f"{type(error).__name__}: {error}",
            )
            return
        self._report_budget(reservation.windows)
