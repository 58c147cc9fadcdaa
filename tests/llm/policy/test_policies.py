"""Every rule of PolicyEnforcer, its order, its error and its log line; reservations."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from netrun.errors import (
    BudgetExceededError,
    RateLimitExceededError,
    ServiceUnavailableError,
)
from netrun.llm.policy import (
    CostTier,
    PolicyEnforcer,
    PolicyViolationError,
    ProviderPolicy,
    Reservation,
    TenantPolicy,
)
from netrun.llm.policy.ledgers import MemoryLedger, WindowUsage
from netrun.llm.types import Usage
from netrun.logging.testing import capture_logs

NOW = dt.datetime(2025, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


def enforcer(rule: ProviderPolicy | None = None, **tenant: Any) -> PolicyEnforcer:
    rules = {} if rule is None else {rule.provider: rule}
    policy = TenantPolicy(tenant_id="acme", provider_policies=rules, **tenant)
    return PolicyEnforcer(policy, clock=lambda: NOW)


def reserve(e: PolicyEnforcer, model: str = "gpt-4o-mini", **kwargs: Any) -> Reservation:
    args: dict[str, Any] = {
        "provider": "openai",
        "model": model,
        "estimated_input_tokens": 1000,
        "max_output_tokens": 1000,
        "reason": "support",
    }
    return e.reserve(**{**args, **kwargs})


def refused_rule(call: Any) -> str:
    with pytest.raises((PolicyViolationError, RateLimitExceededError)) as refused:
        call()
    return str(refused.value.details["rule"])


# ---------------------------------------------------------------------- static rules


def test_a_required_reason_must_be_given() -> None:
    e = enforcer(require_reason=True)
    assert refused_rule(lambda: reserve(e, reason="  ")) == "reason_required"
    rule_only = enforcer(ProviderPolicy("openai", require_reason=True))
    assert refused_rule(lambda: reserve(rule_only, reason=None)) == "reason_required"
    reserve(e, reason="support ticket 42").release()


def test_providers_disabled_or_unlisted() -> None:
    assert refused_rule(lambda: reserve(enforcer(ProviderPolicy("openai", enabled=False)))) == (
        "provider_not_allowed"
    )
    closed = enforcer(allow_unlisted_providers=False)
    assert refused_rule(lambda: reserve(closed)) == "provider_not_allowed"
    reserve(enforcer(), provider="ollama", model="llama3").release()


def test_allow_and_deny_lists_match_globs_and_snapshots() -> None:
    e = enforcer(ProviderPolicy("openai", allowed_models=["gpt-4o*"], denied_models=["gpt-4o"]))
    assert refused_rule(lambda: reserve(e, model="gpt-4o")) == "model_denied"
    # A dated snapshot cannot slip past the deny list of its base name.
    assert refused_rule(lambda: reserve(e, model="gpt-4o-2024-08-06")) == "model_denied"
    assert refused_rule(lambda: reserve(e, model="gpt-4.1")) == "model_not_allowed"
    reserve(e, model="gpt-4o-mini").release()


def test_an_unpriced_model_is_refused_for_a_tenant_with_a_budget() -> None:
    e = enforcer(daily_budget_usd=5)
    with pytest.raises(PolicyViolationError) as refused:
        reserve(e, model="gpt-99")
    error = refused.value
    assert error.rule == "unknown_price"
    assert error.status_code == 403
    # Without a budget or cost rule it is allowed, and its settlement is logged as unknown.
    free = enforcer()
    reservation = reserve(free, model="gpt-99")
    assert reservation.amount_micros == 0
    with capture_logs() as logs:
        reservation.settle(Usage(input_tokens=10))
    assert any(entry["event"] == "llm_cost_unknown" for entry in logs)
    assert reservation.cost is None


def test_cost_tier_limit() -> None:
    e = enforcer(ProviderPolicy("openai", cost_tier_limit=CostTier.LOW))
    assert refused_rule(lambda: reserve(e, model="gpt-4o")) == "cost_tier"
    reserve(e, model="gpt-4o-mini").release()


def test_cost_is_checked_before_tokens() -> None:
    # Both limits are broken; the seeds' fix: the cost rule is the one reported.
    e = enforcer(ProviderPolicy("openai", max_cost_per_request=0.001, max_tokens_per_request=10))
    assert refused_rule(lambda: reserve(e, model="gpt-4o")) == "max_cost_per_request"
    tokens_only = enforcer(ProviderPolicy("openai", max_tokens_per_request=1999))
    assert refused_rule(lambda: reserve(tokens_only)) == "max_tokens_per_request"


def test_validate_request_prices_an_unsplit_estimate_at_the_higher_price() -> None:
    e = enforcer(ProviderPolicy("openai", max_cost_per_request=Decimal("0.0199")))
    # 2000 tokens of gpt-4o at the $10/M output price = $0.02.
    with pytest.raises(PolicyViolationError):
        e.validate_request("openai", "gpt-4o", 2000, "support")
    decision = e.validate_request("openai", "gpt-4o", 1000, "support", max_output_tokens=1000)
    assert decision.estimated_cost_usd == Decimal("0.0125")
    assert decision.tier is CostTier.MEDIUM


# ---------------------------------------------------------------------- rate limits


def test_rpm_counts_requests() -> None:
    e = enforcer(ProviderPolicy("openai", rate_limit_rpm=2))
    reserve(e).release()
    reserve(e).release()
    with pytest.raises(RateLimitExceededError) as refused:
        reserve(e)
    assert refused.value.details["rule"] == "rate_limit_rpm"
    assert 0 < refused.value.retry_after <= 60  # type: ignore[operator]
    assert not isinstance(refused.value, BudgetExceededError)


def test_tpm_counts_tokens_not_requests() -> None:
    e = enforcer(ProviderPolicy("openai", rate_limit_tpm=5000))
    reserve(e).release()  # 2000 tokens
    reserve(e).release()  # 4000
    assert refused_rule(lambda: reserve(e)) == "rate_limit_tpm"  # 6000 > 5000
    reserve(e, estimated_input_tokens=500, max_output_tokens=500).release()  # 5000 fits
    # More tokens than the limit could ever admit: refused as a policy, not "retry later".
    assert refused_rule(lambda: reserve(e, max_output_tokens=10_000)) == "rate_limit_tpm"


def test_rate_limits_are_per_tenant_and_provider() -> None:
    rule = ProviderPolicy("openai", rate_limit_rpm=1)
    ledger = MemoryLedger()
    from netrun.ratelimit import MemoryBackend

    backend = MemoryBackend()
    a = PolicyEnforcer(
        TenantPolicy("a", provider_policies={"openai": rule}),
        ledger=ledger,
        rate_limit_backend=backend,
    )
    b = PolicyEnforcer(
        TenantPolicy("b", provider_policies={"openai": rule}),
        ledger=ledger,
        rate_limit_backend=backend,
    )
    reserve(a).release()
    reserve(b).release()  # b's minute is its own: a's request does not count against it
    # The second request of a's minute is refused by RPM, as a rate limit (429), not a policy.
    with pytest.raises(RateLimitExceededError) as refused:
        reserve(a)
    assert refused.value.details["rule"] == "rate_limit_rpm"
    assert refused.value.details["tenant_id"] == "a"
    assert refused_rule(lambda: reserve(b)) == "rate_limit_rpm"
    # Per provider: a's limit on openai says nothing about another provider.
    other = reserve(a, provider="anthropic", model="claude-haiku-4-5")
    other.release()


# ---------------------------------------------------------------------- budgets


def test_budgets_refuse_with_retry_after_until_the_period_resets() -> None:
    # gpt-4o-mini, 1000 + 1000 tokens = $0.00075 per reservation.
    e = enforcer(daily_budget_usd="0.0015", monthly_budget_usd=100, fallback_to_local=True)
    first, second = reserve(e), reserve(e)
    with pytest.raises(BudgetExceededError) as refused:
        reserve(e)
    error = refused.value
    assert error.details["rule"] == "daily_budget"
    assert error.retry_after == 12 * 3600  # noon UTC -> midnight UTC
    assert error.details["fallback_to_local"] is True
    body = error.to_dict()["error"]
    assert body["code"] == "BUDGET_EXCEEDED"
    assert body["details"]["reserved_usd"] == "0.0015"
    first.settle(Usage(input_tokens=1000, output_tokens=100))  # $0.00021
    second.release()
    reserve(e).release()  # room again
    status = {s["period"]: s for s in e.budget_status()}
    assert status["day"]["spent_usd"] == Decimal("0.00021")
    assert status["day"]["remaining_usd"] == Decimal("0.00129")
    assert status["month"]["limit_usd"] == 100


def test_monthly_budget_is_named_when_it_refuses() -> None:
    e = enforcer(monthly_budget_usd="0.001")
    reserve(e)
    with pytest.raises(BudgetExceededError) as refused:
        reserve(e)
    assert refused.value.details["rule"] == "monthly_budget"


def test_validate_request_checks_the_budget_without_holding_it() -> None:
    e = enforcer(daily_budget_usd="0.001")
    e.validate_request("openai", "gpt-4o-mini", 1000, "x", max_output_tokens=1000)
    assert e.budget_status()[0]["reserved_usd"] == 0
    reserve(e)
    with pytest.raises(BudgetExceededError):
        e.validate_request("openai", "gpt-4o-mini", 1000, "x", max_output_tokens=1000)


def test_local_fallback_is_free_and_admitted_when_the_budget_is_spent() -> None:
    e = enforcer(daily_budget_usd=0, fallback_to_local=True)
    with pytest.raises(BudgetExceededError):
        reserve(e)
    assert e.fallback_to_local
    assert e.local_provider == "ollama"
    local = reserve(e, provider=e.local_provider, model="llama3.1")
    local.settle(Usage(input_tokens=500, output_tokens=500))
    assert local.cost == 0


def test_an_unreachable_ledger_fails_closed() -> None:
    class Down(MemoryLedger):
        def reserve(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("down")

        def settle(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("down")

        def release(self, *args: Any, **kwargs: Any) -> None:
            raise ConnectionError("down")

    policy = TenantPolicy("acme", daily_budget_usd=1)
    e = PolicyEnforcer(policy, ledger=Down())
    with capture_logs() as logs:
        with pytest.raises(ServiceUnavailableError):
            reserve(e)
        # Settling and releasing never raise into the caller; they log what was lost.
        working = PolicyEnforcer(policy)
        held = reserve(working)
        held.enforcer = e
        held.settle(Usage(input_tokens=1))
        other = reserve(working)
        other.enforcer = e
        other.release()
    events = [entry["event"] for entry in logs]
    assert "llm_budget_ledger_unavailable" in events
    assert "llm_budget_settle_failed" in events
    assert "llm_budget_release_failed" in events


# ---------------------------------------------------------------------- reservations


def test_settle_and_release_happen_once() -> None:
    e = enforcer(daily_budget_usd=1)
    r = reserve(e)
    r.settle(Usage(input_tokens=1000, output_tokens=1000))
    r.settle(Usage(input_tokens=10**6))
    r.release()
    assert r.state == "settled"
    assert e.ledger.usage("acme", r.windows[0]) == WindowUsage(spent=750, reserved=0)
    assert "settled" in repr(r)


def test_a_cost_above_the_reservation_is_charged_and_logged() -> None:
    e = enforcer(daily_budget_usd=1)
    r = reserve(e)
    with capture_logs() as logs:
        r.settle(Usage(output_tokens=5000))
    assert logs[-1]["event"] == "llm_cost_above_reservation"
    assert e.ledger.usage("acme", r.windows[0]).spent == 3000


def test_the_context_manager_releases_on_error_and_when_never_settled() -> None:
    e = enforcer(daily_budget_usd=1)
    with pytest.raises(RuntimeError), reserve(e) as r:
        raise RuntimeError("provider failed")
    assert r.state == "released"
    with capture_logs() as logs, reserve(e) as r2:
        pass
    assert r2.state == "released"
    assert logs[-1]["event"] == "llm_reservation_not_settled"
    with reserve(e) as r3:
        r3.settle(Usage(output_tokens=1))
    assert r3.state == "settled"


def test_async_reserve_settle_and_release() -> None:
    e = enforcer(daily_budget_usd=1)

    async def run() -> None:
        r = await e.areserve(
            provider="openai",
            model="gpt-4o-mini",
            estimated_input_tokens=1000,
            max_output_tokens=1000,
            reason="x",
        )
        await r.asettle(Usage(output_tokens=1000))
        r2 = await e.areserve(
            provider="openai",
            model="gpt-4o-mini",
            estimated_input_tokens=1,
            max_output_tokens=1,
            reason="x",
        )
        await r2.arelease()
        await r2.arelease()

    asyncio.run(run())
    assert e.budget_status()[0]["spent_usd"] == Decimal("0.0006")


def test_the_enforcer_satisfies_the_adapter_protocol() -> None:
    protocols = pytest.importorskip("netrun.llm.protocols")
    e = enforcer()
    assert isinstance(e, protocols.AsyncPolicyEnforcerProtocol)
    assert isinstance(reserve(e), protocols.AsyncReservationProtocol)


# ---------------------------------------------------------------------- logging


def test_a_refusal_logs_its_rule_and_never_the_prompt_or_reason() -> None:
    e = enforcer(ProviderPolicy("openai", denied_models=["gpt-4o"]))
    with capture_logs() as logs, pytest.raises(PolicyViolationError) as refused:
        reserve(e, model="gpt-4o", reason="SECRET PROMPT TEXT")
    (entry,) = [log for log in logs if log["event"] == "llm_policy_decision"]
    assert entry["decision"] == "deny"
    assert entry["rule"] == "model_denied"
    assert (entry["tenant_id"], entry["provider"], entry["model"]) == ("acme", "openai", "gpt-4o")
    assert "SECRET" not in repr(logs)
    body = refused.value.to_dict()["error"]
    assert body["code"] == "LLM_POLICY_VIOLATION"
    assert body["details"] == {
        "rule": "model_denied",
        "provider": "openai",
        "model": "gpt-4o",
        "tenant_id": "acme",
    }
    assert "SECRET" not in repr(body)


# ---------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "build",
    [
        lambda: TenantPolicy("t", daily_budget_usd=-1),
        lambda: TenantPolicy("t", monthly_budget_usd=float("nan")),
        lambda: TenantPolicy("t", timezone="Mars/Olympus"),
        lambda: ProviderPolicy("openai", rate_limit_rpm=0),
        lambda: ProviderPolicy("openai", max_tokens_per_request=True),
    ],
)
def test_bad_policies_are_refused_at_construction(build: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each message names its field
        build()


def test_provider_names_are_normalised() -> None:
    policy = TenantPolicy(
        "t",
        provider_policies={"claude": ProviderPolicy("claude", cost_tier_limit=2)},  # type: ignore[arg-type]
        timezone="Europe/Paris",
    )
    rule = policy.provider_policy("anthropic")
    assert rule is not None
    assert rule.cost_tier_limit is CostTier.MEDIUM
    assert rule.model_rule("claude-opus-4-1") is None
