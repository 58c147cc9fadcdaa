"""200 concurrent governed SDK calls (chat with tools, Anthropic tool use, the Responses API
and embeddings, mixed) against one tenant's budget, on every ledger: no overspend, no hold
left behind, every admitted call settled exactly, and a refused call never sent."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import anthropic
import openai
import pytest

from netrun.core.context import tenant_context
from netrun.errors import BudgetExceededError
from netrun.llm import govern
from netrun.llm.policy import PolicyEnforcer, TenantPolicy
from netrun.llm.policy.ledgers import MemoryLedger
from netrun.llm.policy.ledgers.base import BudgetLedger
from netrun.llm.policy.pricing import default_price_table
from netrun.llm.telemetry import TelemetryCollector
from netrun.llm.telemetry.sinks.memory import InMemorySink
from netrun.llm.testing import StubLLMServer, StubReply, StubToolCall, StubUsage
from netrun.ratelimit import MemoryBackend
from tests.llm.policy import _concurrency as race

CALLERS = 200
TENANT = "govern-race"
KEY = "sk-test-0123456789abcdefghij"
BUDGET = Decimal("0.01")  # about a quarter of what the 200 calls would cost
USAGE = StubUsage(input_tokens=100, output_tokens=100)
# The stub reports 100 input tokens: the prompt has more bytes than that, as a real one would
# (govern() holds a byte bound of the prompt, never less than its tokens).
PROMPT = "Which of my tickets are open? " * 5
MESSAGES = [{"role": "user", "content": PROMPT}]
TOOL = {"name": "list_tickets", "input_schema": {"type": "object", "properties": {}}}
OPENAI_TOOL = {"type": "function", "function": {"name": "list_tickets", "parameters": {}}}
KINDS = ("chat_tools", "anthropic_tools", "responses", "embeddings")
MODELS = {
    "chat_tools": ("openai", "gpt-4o-mini"),
    "anthropic_tools": ("anthropic", "claude-haiku-4-5"),
    "responses": ("openai", "gpt-4o-mini"),
    "embeddings": ("openai", "text-embedding-3-small"),
}


def cost(kind: str) -> Decimal:
    provider, model = MODELS[kind]
    price = default_price_table().lookup(provider, model)
    assert price is not None
    if kind == "embeddings":
        return price.cost(input_tokens=USAGE.input_tokens)
    return price.cost(input_tokens=USAGE.input_tokens, output_tokens=USAGE.output_tokens)


def one_call(kind: str, chat: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    if kind == "chat_tools":
        completion = chat.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, tools=[OPENAI_TOOL], max_tokens=200
        )
        assert completion.choices[0].message.tool_calls
    elif kind == "anthropic_tools":
        message = claude.messages.create(
            model="claude-haiku-4-5", max_tokens=200, messages=MESSAGES, tools=[TOOL]
        )
        assert message.stop_reason == "tool_use"
    elif kind == "responses":
        response = chat.responses.create(model="gpt-4o-mini", input=PROMPT, max_output_tokens=200)
        assert response.output[0].type == "function_call"
    else:
        vectors = chat.embeddings.create(model="text-embedding-3-small", input=PROMPT)
        assert len(vectors.data) == 1


def race_governed(ledger: BudgetLedger, thread_done: Callable[[], None] | None = None) -> None:
    tool_call = StubToolCall("list_tickets", {"status": "open"})
    policy = TenantPolicy(TENANT, daily_budget_usd=str(BUDGET))
    sink = InMemorySink()
    telemetry = TelemetryCollector(sinks=[sink], background=False)
    settings: dict[str, Any] = {
        "policies": {TENANT: policy}.get,
        "ledger": ledger,
        "rate_limit_backend": MemoryBackend(),
        "telemetry": telemetry,
        "prices": default_price_table(),
    }
    # Every reply waits a little, so the holds of concurrent callers overlap.
    reply = StubReply(text="", usage=USAGE, delay=0.02, tool_calls=(tool_call,))
    with StubLLMServer(default=reply) as server:
        chat = govern(
            openai.OpenAI(api_key=KEY, base_url=server.openai_base_url, max_retries=0),
            **settings,
        )
        claude = govern(
            anthropic.Anthropic(api_key=KEY, base_url=server.anthropic_base_url, max_retries=0),
            **settings,
        )
        start = threading.Barrier(CALLERS)
        answered: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        errors: list[BaseException] = []
        lock = threading.Lock()

        def caller(index: int) -> None:
            kind = KINDS[index % len(KINDS)]
            start.wait()
            try:
                with tenant_context(TENANT):
                    one_call(kind, chat, claude)
            except BudgetExceededError:
                with lock:
                    refused[kind] += 1
                return
            except BaseException as error:
                with lock:
                    errors.append(error)
                return
            finally:
                if thread_done is not None:
                    thread_done()
            with lock:
                answered[kind] += 1

        threads = [threading.Thread(target=caller, args=(i,)) for i in range(CALLERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = len(server.requests)
    telemetry.flush()
    telemetry.close()

    assert errors == []
    assert sum(answered.values()) + sum(refused.values()) == CALLERS
    assert sum(refused.values()) > 0, "the budget never refused: the race proves nothing"
    # Which kinds won the race depends on the scheduling (a Claude hold is ten times a
    # chat's): the invariants below hold for any mix.
    assert sent == sum(answered.values())  # a refused call never reached the network
    day = PolicyEnforcer(policy, ledger=ledger, prices=default_price_table()).budget_status()[0]
    expected = sum((cost(kind) * count for kind, count in answered.items()), Decimal(0))
    assert day["reserved_usd"] == 0  # no hold left behind
    assert day["spent_usd"] == expected  # each admitted call settled at its exact usage
    assert day["spent_usd"] <= BUDGET  # and never past the budget
    assert len([r for r in sink.records if r.success]) == sum(answered.values())


def test_memory_ledger() -> None:
    race_governed(MemoryLedger())


def test_redis_ledger(redis_url: str) -> None:
    race_governed(race.redis_ledger(redis_url))


@pytest.fixture
def sql_ledger(postgres_dsn: str) -> Iterator[BudgetLedger]:
    ledger = race.sql_ledger(postgres_dsn)
    ledger.create_tables()  # type: ignore[attr-defined]
    yield ledger
    ledger.close()


def test_sql_ledger(sql_ledger: BudgetLedger) -> None:
    race_governed(sql_ledger)


def test_django_ledger_postgres(django_pg: BudgetLedger) -> None:
    race_governed(django_pg, thread_done=race.close_django_connections)
