"""``LLMClient.embed()``: vectors from each provider with an embeddings API, priced and held
against the tenant's budget like a chat, recorded as an ``embeddings`` operation."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from netrun.core.context import tenant_context
from netrun.errors import BudgetExceededError
from netrun.llm import LLMClient
from netrun.llm.budgets import MemoryLedger
from netrun.llm.policies import PolicyEnforcer, TenantPolicy
from netrun.llm.pricing import default_price_table
from netrun.llm.telemetry import TelemetryCollector
from netrun.llm.telemetry.sinks.memory import InMemorySink
from netrun.llm.testing import StubLLMServer, StubReply, StubUsage
from netrun.llm.types import EmbeddingResponse
from tests.llm.adapters.conftest import build

TEXTS = ["ticket 42: printer on fire", "ticket 43: coffee machine"]


@pytest.mark.parametrize(
    ("provider", "model", "path"),
    [
        ("openai", "text-embedding-3-small", "/v1/embeddings"),
        (
            "azure_openai",
            "embeddings-deployment",
            "/openai/deployments/embeddings-deployment/embeddings",
        ),
        ("ollama", "nomic-embed-text", "/api/embed"),
    ],
)
def test_each_provider_answers_one_vector_per_text(
    stub: StubLLMServer, provider: str, model: str, path: str
) -> None:
    extra = {"embedding_deployment": model} if provider == "azure_openai" else {}
    stub.script(StubReply(usage=StubUsage(input_tokens=14)))
    response = build(provider, stub, **extra).embed(TEXTS)
    assert isinstance(response, EmbeddingResponse)
    assert len(response.embeddings) == 2
    assert response.embeddings[0] != response.embeddings[1]
    assert all(len(vector) == 8 for vector in response.embeddings)
    assert response.usage.input_tokens == 14
    assert response.usage.output_tokens == 0
    assert stub.requests[-1].path == path
    assert stub.requests[-1].body["input"] == TEXTS


def test_providers_without_an_embeddings_api_are_skipped(stub: StubLLMServer) -> None:
    client = LLMClient([build("anthropic", stub), build("openai", stub)])
    response = client.embed(TEXTS)
    assert response.provider == "openai"
    assert [r.path for r in stub.requests] == ["/v1/embeddings"]
    with pytest.raises(ValueError, match="no embeddings API"):
        client.embed(TEXTS, provider="anthropic")
    with pytest.raises(ValueError, match="no embeddings API"):
        build("anthropic", stub).embed(TEXTS)
    with pytest.raises(ValueError, match="non-empty list"):
        client.embed("one string, not a list")
    assert len(stub.requests) == 1


def test_embed_is_priced_held_and_settled_at_the_billed_tokens(stub: StubLLMServer) -> None:
    ledger = MemoryLedger()
    sink = InMemorySink()
    telemetry = TelemetryCollector(sinks=[sink], background=False)
    policy = TenantPolicy("acme", daily_budget_usd="1.00")
    enforcer = PolicyEnforcer(policy, ledger=ledger, prices=default_price_table())
    client = LLMClient([build("openai", stub)], enforcer=enforcer, telemetry=telemetry)
    stub.script(StubReply(usage=StubUsage(input_tokens=50_000)))
    with tenant_context("acme"):
        client.embed(TEXTS)
    telemetry.flush()
    day = enforcer.budget_status()[0]
    # text-embedding-3-small: $0.02 per 1M input tokens, no output price.
    assert day["spent_usd"] == Decimal("0.001")
    assert day["reserved_usd"] == 0
    (record,) = sink.records
    assert record.operation == "embeddings"
    assert record.cost_usd == Decimal("0.001")
    telemetry.close()


def test_a_budget_refuses_an_embedding_before_it_is_sent(stub: StubLLMServer) -> None:
    ledger = MemoryLedger()
    policy = TenantPolicy("acme", daily_budget_usd="0.0000001")
    enforcer = PolicyEnforcer(policy, ledger=ledger, prices=default_price_table())
    client = LLMClient([build("openai", stub)], enforcer=enforcer)
    with tenant_context("acme"), pytest.raises(BudgetExceededError):
        client.embed(["x" * 50_000])
    assert stub.requests == []


def test_a_failing_provider_falls_back_to_the_next_with_its_own_embedding_model(
    stub: StubLLMServer,
) -> None:
    client = LLMClient([build("openai", stub), build("ollama", stub)], max_retries=0)
    stub.script(StubReply.server_error(503), StubReply())
    response = client.embed(TEXTS, model="text-embedding-3-large")
    assert response.provider == "ollama"
    assert response.fallback_from == "openai"
    assert [r.body["model"] for r in stub.requests] == [
        "text-embedding-3-large",
        "nomic-embed-text",
    ]


def test_aembed_is_the_async_twin(stub: StubLLMServer) -> None:
    async def run() -> EmbeddingResponse:
        adapter = build("openai", stub)
        try:
            return await LLMClient([adapter]).aembed(TEXTS)
        finally:
            await adapter.aclose()

    response = asyncio.run(run())
    assert len(response.embeddings) == 2
    assert response.model == "text-embedding-3-small"
