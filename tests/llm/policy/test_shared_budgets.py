"""Budgets and rate limits hold across PolicyEnforcer instances, as a view builds one per
request: by default every enforcer shares the configured ledger and limiter, per tenant."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import override_settings

from netrun.errors import BudgetExceededError, RateLimitExceededError
from netrun.llm.policy import PolicyEnforcer, ProviderPolicy, TenantPolicy
from netrun.llm.policy.ledgers import (
    BudgetLedger,
    MemoryLedger,
    Period,
    build_ledger,
    default_ledger,
    reset_default_ledger,
)
from netrun.llm.types import Usage

NOW = dt.datetime(2025, 12, 1, 12, tzinfo=dt.timezone.utc)
DAILY = Decimal("0.05")
# gpt-4o at list price: 1000 input tokens ($2.50/M) + 500 output ($10/M) = $0.0075.
CALL = Decimal(1000) * Decimal("2.50") / 10**6 + Decimal(500) * 10 / 10**6


def one_request(tenant: str) -> bool:
    """What a view does: build an enforcer for the request, reserve, call, settle."""
    enforcer = PolicyEnforcer(TenantPolicy(tenant, daily_budget_usd=DAILY), clock=lambda: NOW)
    try:
        reservation = enforcer.reserve(
            provider="openai", model="gpt-4o", estimated_input_tokens=1000, max_output_tokens=500
        )
    except BudgetExceededError as refused:
        return refused.details["rule"] != "daily_budget"  # any other refusal fails the count
    reservation.settle(Usage(input_tokens=1000, output_tokens=500))
    return True


def spent(ledger: BudgetLedger, tenant: str) -> Decimal:
    enforcer = PolicyEnforcer(TenantPolicy(tenant), ledger=ledger, clock=lambda: NOW)
    day = next(w for w in enforcer._current_windows() if w.period is Period.DAY)
    usage = ledger.usage(tenant, day)
    assert usage.reserved == 0
    return Decimal(usage.spent) / 10**6


def test_forty_enforcers_built_per_call_share_one_budget() -> None:
    admitted = sum(one_request("acme") for _ in range(40))
    assert admitted == int(DAILY // CALL)  # 6 calls of $0.0075 fit in $0.05, the 7th does not
    assert spent(default_ledger(), "acme") == admitted * CALL <= DAILY
    # Per tenant: another tenant's budget is untouched by acme's spend.
    assert one_request("globex") is True


def test_enforcers_share_the_configured_redis_ledger(redis_url: str) -> None:
    with override_settings(NETRUN_LLM_BUDGET_LEDGER=redis_url):
        ledger = default_ledger()
        assert type(ledger).__name__ == "RedisLedger"
        assert PolicyEnforcer(TenantPolicy("acme")).ledger is ledger
        admitted = sum(one_request("acme") for _ in range(40))
        assert admitted == int(DAILY // CALL)
        # Another process's view of the budget: a fresh RedisLedger on the same server.
        assert spent(build_ledger(redis_url), "acme") == admitted * CALL
    reset_default_ledger()
    assert isinstance(default_ledger(), MemoryLedger)  # back to the process's own


def test_rate_limits_hold_across_enforcers() -> None:
    rule = ProviderPolicy("openai", rate_limit_rpm=3)

    def request() -> None:
        policy = TenantPolicy("acme", provider_policies={"openai": rule})
        PolicyEnforcer(policy, clock=lambda: NOW).reserve(
            provider="openai", model="gpt-4o-mini", max_output_tokens=10, messages="hi"
        ).release()

    for _ in range(3):
        request()
    with pytest.raises(RateLimitExceededError) as refused:
        request()
    assert refused.value.details["rule"] == "rate_limit_rpm"


def test_the_ledger_setting_builds_each_kind(postgres_dsn: str) -> None:
    assert isinstance(build_ledger("memory"), MemoryLedger)
    assert isinstance(build_ledger(" Memory "), MemoryLedger)
    sql = build_ledger(postgres_dsn)
    assert type(sql).__name__ == "SQLLedger"
    sql.close()
    django = build_ledger("django:other")
    assert (type(django).__name__, getattr(django, "using", None)) == ("DjangoLedger", "other")
    assert getattr(build_ledger("django"), "using", None) == "default"
    assert isinstance(build_ledger("netrun.llm.policy.ledgers.MemoryLedger"), MemoryLedger)
    assert isinstance(build_ledger("netrun.llm.budgets.MemoryLedger"), MemoryLedger)  # before 2.1


SETTING = re.escape("NETRUN_LLM_BUDGET_LEDGER (LLM_BUDGET_LEDGER)")


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ("mongodb://db", ValueError, SETTING + " 'mongodb://db' is not memory"),
        ("netrun.nowhere.Ledger", ImportError, SETTING + " 'netrun.nowhere.Ledger'"),
        ("netrun.llm.budgets.__all__", TypeError, "is not a ledger class or factory"),
        ("netrun.llm.budgets.WindowUsage", TypeError, "not a BudgetLedger"),
    ],
)
def test_a_bad_ledger_setting_names_itself(spec: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build_ledger(spec)


# Django 6.1's run_checks() includes the database checks of every alias.
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("mongodb://db", "is not memory, a redis:// URL"),
        ("netrun.nowhere.Ledger", "cannot be imported"),
        ("netrun.llm.budgets.__all__", "is not a ledger class or factory"),
    ],
)
def test_a_bad_ledger_setting_is_a_system_check_error(spec: str, problem: str) -> None:
    from django.core import checks

    with override_settings(NETRUN_LLM_BUDGET_LEDGER=spec):
        errors = [m for m in checks.run_checks() if m.id == "netrun.llm.E008"]
    assert len(errors) == 1
    assert problem in errors[0].msg
    assert spec in errors[0].msg


# Django 6.1's run_checks() includes the database checks of every alias.
@pytest.mark.django_db
@pytest.mark.parametrize(
    "spec",
    [
        "memory",
        "redis://127.0.0.1:1/0",
        "redis+cluster://127.0.0.1:1",
        "postgresql://x@127.0.0.1:1/db",
        "django:x",
    ],
)
def test_a_good_ledger_setting_passes_the_check_without_connecting(spec: str) -> None:
    from django.core import checks

    with override_settings(NETRUN_LLM_BUDGET_LEDGER=spec):
        assert [m for m in checks.run_checks() if m.id == "netrun.llm.E008"] == []
