"""A provider stream that fails while it is being opened releases its budget hold at once.

``adapter.stream(...)`` / ``astream(...)`` may raise before any request is sent (an option the
provider cannot take, an SDK that refuses its arguments). The hold made for that attempt is
released there and then, not left to expire: the ledger shows nothing reserved. A netrun error
falls back like a failed first read; any other error is raised. A real enforcer over a memory
ledger; the adapter is the real OpenAI one whose opening fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from netrun.core.context import tenant_context
from netrun.errors import ServiceUnavailableError
from netrun.llm import LLMClient
from netrun.llm.adapters import OpenAIAdapter
from netrun.llm.budgets import MemoryLedger
from netrun.llm.policies import PolicyEnforcer, TenantPolicy
from netrun.llm.pricing import default_price_table
from netrun.llm.testing import StubLLMServer, StubReply
from netrun.ratelimit import MemoryBackend
from tests.llm.adapters.conftest import API_KEY, build


class FailsToOpen(OpenAIAdapter):
    """OpenAI, whose streams fail as they are opened with ``error``."""

    error: Exception

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error

    def astream(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


@pytest.fixture
def enforcer() -> Iterator[PolicyEnforcer]:
    with tenant_context("acme"):
        yield PolicyEnforcer(
            TenantPolicy("acme", daily_budget_usd="5.00"),
            ledger=MemoryLedger(),
            rate_limit_backend=MemoryBackend(),
            prices=default_price_table(),
        )


def reserved(enforcer: PolicyEnforcer) -> Decimal:
    reserved_usd: Decimal = enforcer.budget_status()[0]["reserved_usd"]
    return reserved_usd


def client_for(stub: StubLLMServer, enforcer: PolicyEnforcer, error: Exception) -> LLMClient:
    failing = FailsToOpen(api_key=API_KEY, base_url=stub.openai_base_url, timeout=5.0)
    failing.error = error
    stub.default = StubReply(text="from ollama")
    return LLMClient([failing, build("ollama", stub)], enforcer=enforcer, max_retries=0)


def test_a_stream_failing_to_open_releases_its_hold_sync(
    stub: StubLLMServer, enforcer: PolicyEnforcer
) -> None:
    client = client_for(stub, enforcer, RuntimeError("the SDK refused its arguments"))
    with pytest.raises(RuntimeError), client.stream("x") as stream:
        next(stream)
    assert reserved(enforcer) == 0
    assert stub.requests == []

    # A netrun error falls back to the next provider, the first hold released.
    client = client_for(stub, enforcer, ServiceUnavailableError())
    with client.stream("x") as stream:
        assert "".join(chunk.text for chunk in stream) == "from ollama"
    assert stream.response is not None
    assert stream.response.provider == "ollama"
    assert reserved(enforcer) == 0


@pytest.mark.asyncio
async def test_a_stream_failing_to_open_releases_its_hold_async(
    stub: StubLLMServer, enforcer: PolicyEnforcer
) -> None:
    client = client_for(stub, enforcer, RuntimeError("the SDK refused its arguments"))
    with pytest.raises(RuntimeError):
        async with client.astream("x") as stream:
            await anext(stream)
    assert reserved(enforcer) == 0
    assert stub.requests == []

    client = client_for(stub, enforcer, ServiceUnavailableError())
    async with client.astream("x") as stream:
        assert "".join([chunk.text async for chunk in stream]) == "from ollama"
    assert reserved(enforcer) == 0
