"""The budget-remaining gauge follows every reservation, settlement and release, on /metrics."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from decimal import Decimal

import pytest

pytest.importorskip("prometheus_client")

from django.test import RequestFactory, override_settings
from prometheus_client import CollectorRegistry

from netrun.core.context import user_context
from netrun.llm import LLMClient
from netrun.llm.adapters import OpenAIAdapter
from netrun.llm.budgets.base import (
    add_budget_listener,
    budget_listeners,
    remove_budget_listener,
)
from netrun.llm.policies import PolicyEnforcer, TenantPolicy
from netrun.llm.policy import ScopeBudget
from netrun.llm.telemetry.sinks.prometheus import PrometheusSink
from netrun.llm.telemetry.views import make_metrics_view
from netrun.llm.testing import StubLLMServer, StubReply, StubUsage

KEY = "sk-test-0123456789abcdefghij"
GAUGE = "netrun_llm_budget_remaining_usd"


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(lifetime=60) as server:
        yield server


def scrape(registry: CollectorRegistry) -> str:
    # The view is closed by default: scrape it as Prometheus does, with the bearer token.
    with override_settings(NETRUN_LLM_METRICS_TOKEN="scrape-token"):
        request = RequestFactory().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-token")
        response = make_metrics_view(registry)(request)
    assert response.status_code == 200
    return response.content.decode()


def gauge_lines(text: str) -> list[str]:
    return sorted(line for line in text.splitlines() if line.startswith(GAUGE + "{"))


def test_after_a_call_metrics_shows_what_the_tenant_has_left(stub: StubLLMServer) -> None:
    registry = CollectorRegistry()
    sink = PrometheusSink(registry, tenant_label=True)
    enforcer = PolicyEnforcer(TenantPolicy("acme", daily_budget_usd=1, monthly_budget_usd=10))
    adapter = OpenAIAdapter(api_key=KEY, base_url=stub.openai_base_url, model="gpt-4o-mini")
    stub.script(StubReply(usage=StubUsage(input_tokens=1_000, output_tokens=500)))
    LLMClient([adapter], enforcer=enforcer).chat("hi", max_tokens=500)
    # 1000 x $0.15 + 500 x $0.60 per 1M = $0.00045, settled; nothing held any more.
    assert gauge_lines(scrape(registry)) == [
        f'{GAUGE}{{period="day",tenant="acme"}} 0.99955',
        f'{GAUGE}{{period="month",tenant="acme"}} 9.99955',
    ]
    assert sink.set_budget_remaining in budget_listeners()


def test_a_hold_lowers_the_gauge_and_a_release_gives_it_back() -> None:
    registry = CollectorRegistry()
    sink = PrometheusSink(registry, tenant_label=True)
    enforcer = PolicyEnforcer(TenantPolicy("beta", daily_budget_usd=2))
    reservation = enforcer.reserve(
        provider="openai", model="gpt-4o", estimated_input_tokens=100_000, max_output_tokens=0
    )
    # Held: 100k x $2.50 per 1M; only the capped day window has a gauge.
    assert gauge_lines(scrape(registry)) == [f'{GAUGE}{{period="day",tenant="beta"}} 1.75']
    reservation.release()
    assert gauge_lines(scrape(registry)) == [f'{GAUGE}{{period="day",tenant="beta"}} 2.0']
    assert sink.registry is registry  # the sink must outlive the calls: it is held weakly


def test_without_the_tenant_label_no_per_tenant_gauge_is_exported(stub: StubLLMServer) -> None:
    registry = CollectorRegistry()
    sink = PrometheusSink(registry)
    enforcer = PolicyEnforcer(TenantPolicy("acme", daily_budget_usd=1))
    adapter = OpenAIAdapter(api_key=KEY, base_url=stub.openai_base_url, model="gpt-4o-mini")
    LLMClient([adapter], enforcer=enforcer).chat("hi")
    assert gauge_lines(scrape(registry)) == []
    assert sink.set_budget_remaining not in budget_listeners()


def test_a_dropped_sink_stops_listening_and_a_failing_listener_never_fails_a_call() -> None:
    gc.collect()
    before = len(budget_listeners())
    sink = PrometheusSink(CollectorRegistry(), tenant_label=True)
    assert len(budget_listeners()) == before + 1
    del sink
    gc.collect()
    assert len(budget_listeners()) == before

    def broken(tenant_id: str, period: str, remaining: object) -> None:
        raise RuntimeError("scrape target gone")

    add_budget_listener(broken)
    try:
        assert len(budget_listeners()) == before + 1
        enforcer = PolicyEnforcer(TenantPolicy("acme", daily_budget_usd=1))
        reservation = enforcer.reserve(
            provider="openai", model="gpt-4o-mini", estimated_input_tokens=10, max_output_tokens=10
        )
        reservation.release()
        assert reservation.state == "released"
    finally:
        remove_budget_listener(broken)
    assert broken not in budget_listeners()


def test_a_users_scope_budget_never_overwrites_the_tenants_gauge(stub: StubLLMServer) -> None:
    registry = CollectorRegistry()
    sink = PrometheusSink(registry, tenant_label=True)
    user_day = ScopeBudget(kind="user", value="7", limit_usd=Decimal("0.01"), period="day")
    policy = TenantPolicy("acme", daily_budget_usd=1, scope_budgets=(user_day,))
    adapter = OpenAIAdapter(api_key=KEY, base_url=stub.openai_base_url, model="gpt-4o-mini")
    stub.script(StubReply(usage=StubUsage(input_tokens=1_000, output_tokens=500)))
    with user_context(7):
        LLMClient([adapter], enforcer=PolicyEnforcer(policy)).chat("hi", max_tokens=500)
    # The user's window has $0.00955 left; the tenant's day shows the tenant's $0.99955.
    assert gauge_lines(scrape(registry)) == [f'{GAUGE}{{period="day",tenant="acme"}} 0.99955']
    assert sink.set_budget_remaining in budget_listeners()
