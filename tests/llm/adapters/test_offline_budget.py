"""The offline provider under a budget: a ``NETRUN_LLM_PRICES`` row prices it, and check
``netrun.llm.W002`` accepts that row (it applies) while still flagging a misspelt provider."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from netrun.llm import LLMClient, OfflineAdapter, PolicyEnforcer, TenantPolicy, pricing_django
from netrun.llm.checks import check_prices

OFFLINE_FREE = {
    "provider": "offline",
    "model": "*",
    "input": "0",
    "output": "0",
    "effective_from": "2024-01-01",
}
OFFLINE_DEMO = {**OFFLINE_FREE, "input": "1.00", "output": "2.00"}


@pytest.fixture(autouse=True)
def _fresh_prices() -> Iterator[None]:
    pricing_django.invalidate_prices()
    yield
    pricing_django.invalidate_prices()


def _ids(rows: list[Any]) -> list[str]:
    with override_settings(NETRUN_LLM_PRICES=rows):
        return [message.id or "" for message in check_prices()]


def _budgeted_client() -> tuple[LLMClient, PolicyEnforcer]:
    tenant = f"offline-{uuid.uuid4().hex[:8]}"
    enforcer = PolicyEnforcer(TenantPolicy(tenant, daily_budget_usd=Decimal("0.05")))
    return LLMClient([OfflineAdapter()], enforcer=enforcer, max_retries=0), enforcer


@pytest.mark.parametrize("row", [OFFLINE_FREE, OFFLINE_DEMO], ids=["free", "demo-price"])
def test_a_price_row_for_the_offline_provider_applies_and_w002_says_nothing(row: Any) -> None:
    assert _ids([row]) == []
    with override_settings(NETRUN_LLM_PRICES=[row]):
        client, enforcer = _budgeted_client()
        response = client.chat("Summarise the ticket", reason="ticket_summary")
        # The row is what prices the call: free, or the demo price held against the budget.
        hold = enforcer.reserve(
            provider="offline",
            model=OfflineAdapter().model,
            estimated_input_tokens=1000,
            max_output_tokens=100,
        )
        hold.release()
    assert response.provider == "offline"
    assert response.text.startswith("[offline provider]")
    assert (hold.amount_usd > 0) is (row is OFFLINE_DEMO)


def test_w002_still_flags_a_misspelt_provider() -> None:
    [message] = _check([{**OFFLINE_FREE, "provider": "ofline"}])
    assert message.id == "netrun.llm.W002"
    assert "'ofline'" in message.msg
    assert "offline" in str(message.hint)


def _check(rows: list[Any]) -> list[Any]:
    with override_settings(NETRUN_LLM_PRICES=rows):
        return list(check_prices())
