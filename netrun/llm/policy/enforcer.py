"""The policy enforcer: checks every call against a tenant's policy and holds its worst cost.

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
``rate_limit_backend=``, the process's ledger (:func:`netrun.llm.policy.ledgers.default_ledger`,
the ``budget_ledger`` setting: memory, Redis, PostgreSQL or the Django ORM) and the rate-limit
backend ``netrun.ratelimit`` is configured with.

With :attr:`TenantPolicy.scope_budgets`, a call also counts against the budgets of its user,
API key and feature tags (:func:`netrun.llm.attribution.current_attribution`, completed by
``reserve``'s ``user_id=``, ``api_key=`` and ``tags=``): the tenant's windows and every
matching scope's are held in one atomic ledger operation, all or none, and a refusal names
the scope (``details["scope"]``, ``"user:42"``) and its period.

A hold is an upper bound of what the call can cost, so concurrent calls cannot spend past a
budget whatever the text: the prompt counts at its UTF-8 byte length
(:func:`netrun.llm.types.prompt_token_bound`; every token of a byte-level BPE tokenizer
covers at least a byte) priced at the dearest of the input, cache-read and cache-write
prices, and the output at ``max_output_tokens``, which a reservation requires (send the same
number as the call's ``max_tokens``). A provider reporting more than that is charged what
it reports, and logged as ``llm_cost_above_reservation``.

The rules are checked in the order :mod:`netrun.llm.policy.rules` lists. Budget refusals are
:class:`~netrun.errors.BudgetExceededError` (429, ``retry_after`` = seconds until the period
resets); a caller with ``enforcer.fallback_to_local`` then uses the local model. A refused
or failed attempt still counts towards RPM and TPM: the limit is on attempts.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from netrun.errors import BudgetExceededError, RateLimitExceededError, ServiceUnavailableError
from netrun.llm.policy._windows import BudgetWindows, budget_error, budget_status
from netrun.llm.policy.ledgers._default import default_ledger
from netrun.llm.policy.ledgers.base import (
    BudgetLedger,
    BudgetWindow,
    ReservationRefused,
    WindowUsage,
    to_micros,
)
from netrun.llm.policy.pricing import ModelPrice, PriceTable, current_price_table
from netrun.llm.policy.reservation import (
    Reservation,
    drain_pending_settlements,
    pending_settlements,
    report_budget,
)
from netrun.llm.policy.rules import (
    PolicyDecision,
    PolicyViolationError,
    TenantPolicy,
    _tokens,
    check_rules,
)
from netrun.llm.types import ChatMessage, prompt_token_bound
from netrun.logging import get_logger
from netrun.ratelimit import Backend, RateLimiter

__all__ = ["PolicyEnforcer"]

logger = get_logger(__name__)

_MTOK = Decimal(1_000_000)


class PolicyEnforcer:
    """Checks calls against one :class:`TenantPolicy` and holds their worst-case cost.

    Cheap to build (limiters are created on first use), so glue can build one per request:
    budgets and rate limits live in the ``ledger`` and ``rate_limit_backend``, which default
    to the process's shared ones, :func:`netrun.llm.policy.ledgers.default_ledger` (the
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
        self._budget_windows = BudgetWindows(policy)

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
        """:func:`~netrun.llm.policy.rules.check_rules`, with a refusal logged."""
        try:
            return check_rules(
                self.policy,
                self.prices,
                provider,
                model,
                tokens=tokens,
                worst_case=worst_case,
                reason=reason,
                day=self._clock().date(),
            )
        except PolicyViolationError as refusal:
            self._log_denial(refusal.rule, provider, model)
            raise

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
        return self._budget_windows.tenant(self._clock())

    def _budget_error(
        self, window: BudgetWindow, usage: WindowUsage, provider: str, model: str
    ) -> BudgetExceededError:
        error = budget_error(self.policy, window, usage, self._clock(), provider, model)
        self._log_denial(str(error.details["rule"]), provider, model)
        return error

    # ------------------------------------------------------------------ API

    def validate_request(
        self,
        provider: str,
        model: str,
        estimated_tokens: int,
        reason: str | None = None,
        *,
        max_output_tokens: int | None = None,
        tags: Iterable[str] = (),
        user_id: str | None = None,
        api_key: str | None = None,
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
        for window in self._budget_windows.for_call(self._clock(), tags, user_id, api_key):
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
        tags: Iterable[str] = (),
        user_id: str | None = None,
        api_key: str | None = None,
    ) -> Reservation:
        """Check every rule and hold the most the call can cost (list price) in the budgets.

        The prompt counts as the larger of ``estimated_input_tokens`` (which must then be an
        upper bound, not an average) and :func:`~netrun.llm.types.prompt_token_bound` of
        ``messages``; the output as ``max_output_tokens``, the ``max_tokens`` the call must
        send. The call counts against the tenant's budgets and those of its scopes: the
        current attribution's user, API key and tags, completed by ``user_id``, ``api_key``
        and ``tags``. Raises :class:`PolicyViolationError`, :class:`RateLimitExceededError`,
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
        windows = self._budget_windows.for_call(self._clock(), tags, user_id, api_key)
        reservation_id = uuid.uuid4().hex
        if pending_settlements():
            drain_pending_settlements()  # settled costs first: they count before new holds
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
        report_budget(self.ledger, self.policy.tenant_id, windows)
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
        tags: Iterable[str] = (),
        user_id: str | None = None,
        api_key: str | None = None,
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
                tags=tags,
                user_id=user_id,
                api_key=api_key,
            )
        )

    def budget_status(self) -> list[dict[str, Any]]:
        """Today's and this month's limit, spent, reserved and remaining USD."""
        return budget_status(self.ledger, self.policy.tenant_id, self._current_windows())
