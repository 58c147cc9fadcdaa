"""govern(): the official SDK clients, every billable call under the tenant's policy.

The real ``openai`` and ``anthropic`` SDKs talk to the loopback stub; the budgets are read
back from the ledger, the records from telemetry, the requests from the stub.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest
from anthropic.types import Message
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion
from openai.types.chat.parsed_chat_completion import ParsedChatCompletion
from openai.types.responses import Response
from pydantic import BaseModel

from netrun.core.context import tenant_context
from netrun.errors import BudgetExceededError, TenantContextMissingError
from netrun.llm import govern, llm_tags
from netrun.llm.budgets import MemoryLedger
from netrun.llm.policies import PolicyEnforcer, PolicyViolationError, ProviderPolicy, TenantPolicy
from netrun.llm.policy import ScopeBudget
from netrun.llm.pricing import default_price_table
from netrun.llm.telemetry import TelemetryCollector
from netrun.llm.telemetry.records import LLMRequestMetrics
from netrun.llm.telemetry.sinks.memory import InMemorySink
from netrun.llm.testing import StubLLMServer, StubReply, StubUsage
from netrun.ratelimit import MemoryBackend

KEY = "sk-test-0123456789abcdefghij"
MESSAGES = [{"role": "user", "content": "Summarise ticket 42"}]
# gpt-4o-mini: 0.15 input, 0.075 cached, 0.60 output USD per 1M tokens.
OPENAI_USAGE = StubUsage(input_tokens=1000, cache_read_tokens=200, output_tokens=500)
OPENAI_COST = Decimal("0.000465")
# claude-haiku-4-5: 1.00 input, 0.10 cache read, 1.25 cache write, 5.00 output.
ANTHROPIC_USAGE = StubUsage(
    input_tokens=1000, cache_read_tokens=2000, cache_write_tokens=400, output_tokens=500
)
ANTHROPIC_COST = Decimal("0.0042")


class Governed:
    """The tenants' policies, ledger and telemetry the governed clients of a test share."""

    def __init__(self, server: StubLLMServer) -> None:
        self.server = server
        self.ledger = MemoryLedger()
        self.backend = MemoryBackend()
        self.sink = InMemorySink()
        self.telemetry = TelemetryCollector(sinks=[self.sink], background=False)
        self.policies: dict[str, TenantPolicy] = {
            "acme": TenantPolicy("acme", daily_budget_usd="5.00"),
        }

    def govern(self, client: Any, **kwargs: Any) -> Any:
        return govern(
            client,
            policies=self.policies.get,
            ledger=self.ledger,
            rate_limit_backend=self.backend,
            telemetry=self.telemetry,
            prices=default_price_table(),
            **kwargs,
        )

    def openai(self, **kwargs: Any) -> openai.OpenAI:
        bare = openai.OpenAI(api_key=KEY, base_url=self.server.openai_base_url, max_retries=0)
        client: openai.OpenAI = self.govern(bare, **kwargs)
        return client

    def anthropic(self, **kwargs: Any) -> anthropic.Anthropic:
        bare = anthropic.Anthropic(
            api_key=KEY, base_url=self.server.anthropic_base_url, max_retries=0
        )
        client: anthropic.Anthropic = self.govern(bare, **kwargs)
        return client

    def status(self, tenant: str = "acme") -> dict[str, Decimal]:
        enforcer = PolicyEnforcer(
            self.policies.get(tenant) or TenantPolicy(tenant),
            ledger=self.ledger,
            rate_limit_backend=self.backend,
            prices=default_price_table(),
        )
        day = enforcer.budget_status()[0]
        return {"spent": day["spent_usd"], "reserved": day["reserved_usd"]}

    def records(self) -> list[LLMRequestMetrics]:
        self.telemetry.flush()
        return self.sink.records


@pytest.fixture
def gov() -> Iterator[Governed]:
    with StubLLMServer() as server, tenant_context("acme"):
        governed = Governed(server)
        yield governed
        governed.telemetry.close()


def hold(model: str, prompt: int, output: int) -> Decimal:
    price = default_price_table().lookup("openai", model)
    assert price is not None
    return price.worst_case_cost(prompt, output)


# ---------------------------------------------------------------------- settled exactly


def test_a_chat_completion_is_settled_at_the_sdk_usage_and_recorded(gov: Governed) -> None:
    gov.server.script(StubReply(usage=OPENAI_USAGE))

    completion = gov.openai(reason="triage").chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=800
    )

    assert isinstance(completion, ChatCompletion)  # the SDK's own object
    assert gov.status() == {"spent": OPENAI_COST, "reserved": Decimal(0)}
    [record] = gov.records()
    assert (record.provider, record.model, record.tenant_id) == ("openai", "gpt-4o-mini", "acme")
    assert (record.input_tokens, record.cache_read_tokens, record.output_tokens) == (
        1000,
        200,
        500,
    )
    assert record.success
    assert not record.streamed


def test_anthropic_messages_settle_cache_reads_and_writes(gov: Governed) -> None:
    gov.server.script(StubReply(usage=ANTHROPIC_USAGE))

    message = gov.anthropic().messages.create(
        model="claude-haiku-4-5", max_tokens=800, messages=MESSAGES
    )

    assert isinstance(message, Message)
    assert gov.status()["spent"] == ANTHROPIC_COST
    [record] = gov.records()
    assert (record.cache_read_tokens, record.cache_write_tokens) == (2000, 400)


def test_the_responses_api_and_embeddings_are_priced_and_governed(gov: Governed) -> None:
    usage = StubUsage(input_tokens=100_000, output_tokens=1000, reasoning_tokens=400)
    gov.server.script(StubReply(usage=usage), StubReply(usage=usage))
    client = gov.openai()

    response = client.responses.create(model="gpt-4o-mini", input="Hi", max_output_tokens=2000)
    assert isinstance(response, Response)
    # 100k input at 0.15 + 1k output (reasoning included) at 0.60.
    assert gov.status()["spent"] == Decimal("0.0156")

    embedded = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert isinstance(embedded, CreateEmbeddingResponse)
    assert len(embedded.data) == 2
    # 100k tokens at 0.02 USD per 1M.
    assert gov.status()["spent"] == Decimal("0.0156") + Decimal("0.002")
    assert [r.reasoning_tokens for r in gov.records()] == [400, 0]
    assert [r.path for r in gov.server.requests] == ["/v1/responses", "/v1/embeddings"]


def test_each_governed_call_is_a_genai_span(gov: Governed) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from netrun.llm.telemetry.sinks.opentelemetry import OpenTelemetrySink

    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    gov.telemetry = TelemetryCollector(
        sinks=[OpenTelemetrySink(tracer_provider=tracer_provider)], background=False
    )
    gov.server.script(StubReply(usage=OPENAI_USAGE), StubReply(usage=OPENAI_USAGE))
    client = gov.openai()

    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=800)
    client.embeddings.create(model="text-embedding-3-small", input="ticket 42")
    gov.telemetry.flush()

    chat, embeddings = spans.get_finished_spans()
    assert chat.name == "chat gpt-4o-mini"
    assert embeddings.name == "embeddings text-embedding-3-small"
    attributes = dict(chat.attributes or {})
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.usage.input_tokens"] == 1200  # cached tokens included
    assert attributes["gen_ai.usage.output_tokens"] == 500


# ---------------------------------------------------------------------- refused


def test_a_call_over_budget_raises_and_never_reaches_the_network(gov: Governed) -> None:
    gov.policies["acme"] = TenantPolicy("acme", daily_budget_usd="0.0001")

    with pytest.raises(BudgetExceededError):
        gov.openai().chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000
        )
    with pytest.raises(BudgetExceededError):
        gov.anthropic().messages.create(
            model="claude-haiku-4-5", max_tokens=1000, messages=MESSAGES
        )

    assert gov.server.requests == []
    assert gov.status() == {"spent": Decimal(0), "reserved": Decimal(0)}
    assert [r.error_type for r in gov.records()] == ["budget:daily_budget"] * 2


def test_concurrent_governed_calls_never_spend_past_the_budget(gov: Governed) -> None:
    usage = StubUsage(input_tokens=100, output_tokens=100)  # 0.000075 USD each
    gov.server.default = StubReply(usage=usage, delay=0.05)  # the holds overlap
    client = gov.openai()
    gov.policies["acme"] = TenantPolicy("acme", daily_budget_usd="0.002")

    def call(_: int) -> str:
        with tenant_context("acme"):
            try:
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000
                )
            except BudgetExceededError:
                return "refused"
            return "answered"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(call, range(64)))

    answered = outcomes.count("answered")
    assert 0 < answered < 64
    assert len(gov.server.requests) == answered  # a refused call sent nothing
    assert gov.status() == {"spent": answered * Decimal("0.000075"), "reserved": Decimal(0)}
    assert gov.status()["spent"] <= Decimal("0.002")


def test_a_call_a_rule_refuses_never_reaches_the_network(gov: Governed) -> None:
    rule = ProviderPolicy("openai", denied_models=["gpt-4o*"])
    gov.policies["acme"] = TenantPolicy("acme", provider_policies={"openai": rule})

    with pytest.raises(PolicyViolationError) as refused:
        gov.openai().chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=10)

    assert refused.value.rule == "model_denied"
    assert gov.server.requests == []


def test_a_call_without_an_output_bound_is_refused_before_the_network(gov: Governed) -> None:
    with pytest.raises(PolicyViolationError) as refused:
        gov.openai().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

    assert refused.value.rule == "output_bound_required"
    assert gov.server.requests == []


def test_an_unpriced_model_is_refused_under_a_budget_and_allowed_without(gov: Governed) -> None:
    with pytest.raises(PolicyViolationError) as refused:
        gov.openai().chat.completions.create(model="my-finetune", messages=MESSAGES, max_tokens=5)
    assert refused.value.rule == "unknown_price"
    assert gov.server.requests == []

    with tenant_context("no-budget"):
        gov.openai().chat.completions.create(model="my-finetune", messages=MESSAGES, max_tokens=5)
    assert len(gov.server.requests) == 1


def test_no_tenant_in_the_context_is_refused(gov: Governed) -> None:
    with tenant_context(None), pytest.raises(TenantContextMissingError):
        gov.openai().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=5)
    assert gov.server.requests == []


def test_a_pinned_enforcer_governs_without_a_tenant_in_the_context(gov: Governed) -> None:
    enforcer = PolicyEnforcer(
        TenantPolicy("script", daily_budget_usd="0.0001"),
        ledger=gov.ledger,
        rate_limit_backend=gov.backend,
        prices=default_price_table(),
    )
    client = govern(
        openai.OpenAI(api_key=KEY, base_url=gov.server.openai_base_url, max_retries=0),
        enforcer=enforcer,
        telemetry=gov.telemetry,
    )

    with tenant_context(None), pytest.raises(BudgetExceededError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000)
    with tenant_context(None):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=10)

    assert len(gov.server.requests) == 1


def test_billable_calls_it_cannot_govern_are_refused_not_let_through(gov: Governed) -> None:
    client = gov.openai()

    for call in (
        lambda: client.images.generate(prompt="a cat", model="gpt-image-1"),
        lambda: client.responses.stream(model="gpt-4o-mini", input="Hi", max_output_tokens=5),
        lambda: client.batches.create(
            completion_window="24h", endpoint="/v1/chat/completions", input_file_id="f"
        ),
        lambda: client.with_raw_response.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, max_tokens=5
        ),
        lambda: gov.anthropic().messages.batches.create(requests=[]),
    ):
        with pytest.raises(PolicyViolationError) as refused:
            call()
        assert refused.value.rule == "ungoverned_method"

    assert gov.server.requests == []


# ---------------------------------------------------------------------- passed through


class Verdict(BaseModel):
    answer: str


def test_tools_structured_output_and_vision_reach_the_stub_untouched(gov: Governed) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "ticket_lookup",
                "parameters": {"type": "object", "properties": {"id": {"type": "integer"}}},
            },
        }
    ]
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is on this screenshot?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            ],
        }
    ]
    sent: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "messages": messages,
        "tools": tools,
        "tool_choice": "auto",
        "temperature": 0.2,
        "seed": 7,
        "metadata": {"ticket": "42"},
        "max_completion_tokens": 300,
    }
    gov.server.script(StubReply(text='{"answer": "yes"}'), StubReply(text='{"answer": "no"}'))
    client = gov.openai()

    client.chat.completions.create(**sent)
    parsed = client.chat.completions.parse(
        model="gpt-4o-mini", messages=MESSAGES, response_format=Verdict, max_tokens=50
    )

    assert gov.server.requests[0].body == sent
    assert gov.server.requests[1].body["response_format"]["type"] == "json_schema"
    assert isinstance(parsed, ParsedChatCompletion)
    assert parsed.choices[0].message.parsed == Verdict(answer="no")


def test_responses_parse_and_anthropic_tools_pass_through(gov: Governed) -> None:
    gov.server.script(StubReply(text='{"answer": "yes"}'), StubReply())
    tool = {
        "name": "ticket_lookup",
        "description": "Read one of the tenant's tickets.",
        "input_schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
    }

    parsed = gov.openai().responses.parse(
        model="gpt-4o-mini", input="Is it urgent?", text_format=Verdict, max_output_tokens=50
    )
    gov.anthropic().messages.create(
        model="claude-haiku-4-5",
        max_tokens=100,
        messages=MESSAGES,
        tools=[tool],
        tool_choice={"type": "auto"},
        system="You are a helpdesk assistant.",
    )

    assert parsed.output_parsed == Verdict(answer="yes")
    assert gov.server.requests[0].body["text"]["format"]["type"] == "json_schema"
    body = gov.server.requests[1].body
    assert (body["tools"], body["tool_choice"]) == ([tool], {"type": "auto"})
    assert body["system"] == "You are a helpdesk assistant."
    assert len(gov.records()) == 2


def test_messages_from_a_generator_are_bounded_and_sent_whole(gov: Governed) -> None:
    text = "x" * 30_000
    messages = ({"role": "user", "content": part} for part in (text, text))
    held: list[Decimal] = []
    gov.server.script(StubReply(usage=StubUsage(input_tokens=60_000, output_tokens=10)))

    stream = gov.openai().chat.completions.create(
        model="gpt-4o-mini", messages=messages, max_tokens=10, stream=True
    )
    held.append(gov.status()["reserved"])
    list(stream)

    assert gov.server.requests[0].body["messages"][1]["content"] == text
    # 60,000 prompt bytes at 0.15 USD per 1M bound the hold from below.
    assert held[0] > Decimal("0.009")


def test_methods_that_cost_nothing_pass_straight_through(gov: Governed) -> None:
    models = gov.openai().models.list()
    count = gov.anthropic().models.list()

    assert [m.id for m in models] == ["stub-model"] == [m.id for m in count]
    assert [(r.method, r.path) for r in gov.server.requests] == [("GET", "/v1/models")] * 2
    assert gov.records() == []
    assert gov.status() == {"spent": Decimal(0), "reserved": Decimal(0)}


def test_with_options_returns_a_governed_client(gov: Governed) -> None:
    gov.policies["acme"] = TenantPolicy("acme", daily_budget_usd="0.0001")
    client = gov.openai().with_options(timeout=5)

    with pytest.raises(BudgetExceededError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000)
    assert gov.server.requests == []


def test_an_azure_deployment_is_priced_as_the_model_it_serves(gov: Governed) -> None:
    gov.server.script(StubReply(usage=OPENAI_USAGE))
    bare = openai.AzureOpenAI(
        api_key=KEY,
        azure_endpoint=gov.server.azure_endpoint,
        api_version="2024-10-21",
        max_retries=0,
    )
    client = gov.govern(bare, deployments={"support-bot": "gpt-4o-mini"})

    client.chat.completions.create(model="support-bot", messages=MESSAGES, max_tokens=800)

    assert gov.server.requests[0].deployment == "support-bot"
    assert gov.status()["spent"] == OPENAI_COST
    assert gov.records()[0].provider == "azure_openai"


# ---------------------------------------------------------------------- streams


def test_a_stream_settles_from_its_final_usage_chunk_which_stays_hidden(gov: Governed) -> None:
    gov.server.script(StubReply(text="one two three", usage=OPENAI_USAGE))

    stream = gov.openai().chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=800, stream=True
    )
    chunks = list(stream)

    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "one two three"
    assert all(c.usage is None for c in chunks)  # the caller did not ask for it
    assert gov.server.requests[0].body["stream_options"] == {"include_usage": True}
    assert gov.status() == {"spent": OPENAI_COST, "reserved": Decimal(0)}
    [record] = gov.records()
    assert record.streamed
    assert record.success


def test_a_stream_that_asked_for_its_usage_sees_it(gov: Governed) -> None:
    gov.server.script(StubReply(usage=OPENAI_USAGE))

    with gov.openai().chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        max_tokens=800,
        stream=True,
        stream_options={"include_usage": True},
    ) as stream:
        last = list(stream)[-1]

    assert last.usage is not None
    assert last.usage.completion_tokens == 500
    assert gov.status()["spent"] == OPENAI_COST


def test_a_stream_closed_early_is_settled_at_its_hold(gov: Governed) -> None:
    # The provider's usage never came and it may have generated more than was read: the
    # worst case is charged, as LLMClient does for an abandoned stream.
    gov.server.script(StubReply(text="one two three four five", usage=OPENAI_USAGE))
    stream = gov.openai().chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=800, stream=True
    )
    next(stream)
    held = gov.status()["reserved"]

    stream.close()

    assert held > OPENAI_COST
    assert gov.status() == {"spent": held, "reserved": Decimal(0)}
    [record] = gov.records()
    assert not record.success
    assert record.error_type == "cancelled"


def test_a_responses_stream_settles_from_response_completed(gov: Governed) -> None:
    gov.server.script(StubReply(usage=OPENAI_USAGE))

    events = list(
        gov.openai().responses.create(
            model="gpt-4o-mini", input="Hi", max_output_tokens=800, stream=True
        )
    )

    assert events[-1].type == "response.completed"
    assert gov.status()["spent"] == OPENAI_COST


def test_anthropic_messages_stream_settles_from_the_final_message(gov: Governed) -> None:
    gov.server.script(StubReply(usage=ANTHROPIC_USAGE))

    with gov.anthropic().messages.stream(
        model="claude-haiku-4-5", max_tokens=800, messages=MESSAGES
    ) as stream:
        text = stream.get_final_text()

    assert text == "Hello from the stub."
    assert gov.status() == {"spent": ANTHROPIC_COST, "reserved": Decimal(0)}


def test_anthropic_messages_stream_left_early_is_settled_at_its_hold(gov: Governed) -> None:
    gov.server.script(StubReply(text="one two three four", usage=ANTHROPIC_USAGE))

    with gov.anthropic().messages.stream(
        model="claude-haiku-4-5", max_tokens=2000, messages=MESSAGES
    ) as stream:
        next(iter(stream))
        held = gov.status()["reserved"]

    assert held > ANTHROPIC_COST
    assert gov.status() == {"spent": held, "reserved": Decimal(0)}


def test_anthropic_create_stream_settles_from_message_delta(gov: Governed) -> None:
    gov.server.script(StubReply(usage=ANTHROPIC_USAGE))

    events = list(
        gov.anthropic().messages.create(
            model="claude-haiku-4-5", max_tokens=800, messages=MESSAGES, stream=True
        )
    )

    assert events[-1].type == "message_stop"
    assert gov.status()["spent"] == ANTHROPIC_COST


def test_the_chat_stream_helper_settles_from_its_snapshot(gov: Governed) -> None:
    gov.server.script(StubReply(usage=OPENAI_USAGE), StubReply(text="one two three four"))
    client = gov.openai()

    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=800
    ) as stream:
        completion = stream.get_final_completion()
    assert completion.choices[0].message.content == "Hello from the stub."
    assert gov.status() == {"spent": OPENAI_COST, "reserved": Decimal(0)}

    with client.chat.completions.stream(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=800
    ) as stream:
        next(iter(stream))
        held = gov.status()["reserved"]
    assert gov.status() == {"spent": OPENAI_COST + held, "reserved": Decimal(0)}


# ---------------------------------------------------------------------- async


def test_async_clients_are_governed_alike(gov: Governed) -> None:
    async def calls() -> None:
        client = gov.govern(
            openai.AsyncOpenAI(api_key=KEY, base_url=gov.server.openai_base_url, max_retries=0)
        )
        claude = gov.govern(
            anthropic.AsyncAnthropic(
                api_key=KEY, base_url=gov.server.anthropic_base_url, max_retries=0
            )
        )
        completion = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, max_tokens=800
        )
        assert isinstance(completion, ChatCompletion)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, max_tokens=800, stream=True
        )
        assert all([chunk.usage is None async for chunk in stream])
        message = await claude.messages.create(
            model="claude-haiku-4-5", max_tokens=800, messages=MESSAGES
        )
        assert isinstance(message, Message)
        async with claude.messages.stream(
            model="claude-haiku-4-5", max_tokens=800, messages=MESSAGES
        ) as events:
            assert await events.get_final_text() == "Hello from the stub."
        gov.policies["acme"] = TenantPolicy("acme", daily_budget_usd="0.0001")
        with pytest.raises(BudgetExceededError):
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000
            )

    gov.server.script(
        StubReply(usage=OPENAI_USAGE),
        StubReply(usage=OPENAI_USAGE),
        StubReply(usage=ANTHROPIC_USAGE),
        StubReply(usage=ANTHROPIC_USAGE),
    )
    asyncio.run(calls())

    assert len(gov.server.requests) == 4
    assert gov.status() == {
        "spent": 2 * OPENAI_COST + 2 * ANTHROPIC_COST,
        "reserved": Decimal(0),
    }


def test_an_async_stream_closed_early_is_settled_at_its_hold(gov: Governed) -> None:
    async def call() -> Decimal:
        client = gov.govern(
            openai.AsyncOpenAI(api_key=KEY, base_url=gov.server.openai_base_url, max_retries=0)
        )
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, max_tokens=800, stream=True
        )
        async with stream:
            await stream.__anext__()
            return gov.status()["reserved"]

    gov.server.script(StubReply(text="one two three four", usage=OPENAI_USAGE))
    held = asyncio.run(call())

    assert held > OPENAI_COST
    assert gov.status() == {"spent": held, "reserved": Decimal(0)}


# ---------------------------------------------------------------------- feature tags


def test_a_clients_tags_scope_its_budget_and_its_records_even_for_a_stream_read_later(
    gov: Governed,
) -> None:
    # The "summary" feature may hold less than one call's worst case; other calls may not.
    gov.policies["acme"] = TenantPolicy(
        "acme",
        daily_budget_usd="5.00",
        scope_budgets=(ScopeBudget("tag", "summary", Decimal("0.01"), "day"),),
    )
    gov.server.script(StubReply(usage=OPENAI_USAGE), StubReply(text="a b c", usage=OPENAI_USAGE))
    summaries = gov.openai(tags=["summary"])
    with llm_tags("nightly"):
        summaries.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=800)
        stream = summaries.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, max_tokens=800, stream=True
        )
    assert list(stream)  # read, and so settled, after the llm_tags block

    records = gov.records()
    assert [r.tags for r in records] == [("nightly", "summary"), ("summary",)]
    assert all(r.success for r in records)
    with pytest.raises(BudgetExceededError) as refused:  # 0.0195 worst case > 0.01 - 0.00093
        summaries.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=32_000)
    assert refused.value.details["scope"] == "tag:summary"
    gov.server.script(StubReply(usage=OPENAI_USAGE))
    gov.openai().chat.completions.create(  # the same call, for no feature: the tenant's budget
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=32_000
    )
    assert len(gov.server.requests) == 3  # the refused call sent nothing
    with pytest.raises(ValueError, match="invalid LLM feature tag 'Bad Tag'"):
        gov.openai(tags="Bad Tag")


def test_an_async_clients_tags_reach_the_record_of_a_stream_read_later(gov: Governed) -> None:
    async def call() -> None:
        client = gov.govern(
            openai.AsyncOpenAI(api_key=KEY, base_url=gov.server.openai_base_url, max_retries=0),
            tags="summary",
        )
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, max_tokens=800, stream=True
        )
        assert [chunk async for chunk in stream]

    gov.server.script(StubReply(usage=OPENAI_USAGE))
    asyncio.run(call())
    [record] = gov.records()
    assert record.tags == ("summary",)
    assert record.success


# ---------------------------------------------------------------------- the admin's policies


@pytest.mark.django_db
def test_by_default_the_tenant_policy_comes_from_the_admin() -> None:
    from netrun.llm.models import TenantPolicyRecord

    TenantPolicyRecord.objects.create(tenant_id="acme", daily_budget_usd=Decimal("0.0001"))
    with StubLLMServer() as server, tenant_context("acme"):
        client = govern(
            openai.OpenAI(api_key=KEY, base_url=server.openai_base_url, max_retries=0),
            prices=default_price_table(),
            telemetry=TelemetryCollector(sinks=[InMemorySink()], background=False),
        )
        with pytest.raises(BudgetExceededError):
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000)
        with tenant_context("globex"):  # no policy: no limits, the call goes out
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=1000)

    assert len(server.requests) == 1


# ---------------------------------------------------------------------- static types


def test_mypy_sees_the_sdk_types_through_govern(tmp_path: Path) -> None:
    source = tmp_path / "typed.py"
    source.write_text(
        textwrap.dedent(
            """
            from anthropic import Anthropic, AsyncAnthropic
            from openai import AsyncAzureOpenAI, AsyncOpenAI, AzureOpenAI, OpenAI
            from openai.types.chat import ChatCompletion
            from typing_extensions import assert_type

            from netrun.llm import govern, llm_tags

            client = govern(OpenAI(api_key="k"))
            assert_type(client, OpenAI)
            assert_type(govern(AsyncOpenAI(api_key="k")), AsyncOpenAI)
            azure = AzureOpenAI(api_key="k", api_version="v", azure_endpoint="http://x")
            assert_type(govern(azure), AzureOpenAI)
            aazure = AsyncAzureOpenAI(api_key="k", api_version="v", azure_endpoint="http://x")
            assert_type(govern(aazure), AsyncAzureOpenAI)
            assert_type(govern(Anthropic(api_key="k")), Anthropic)
            assert_type(govern(AsyncAnthropic(api_key="k")), AsyncAnthropic)
            completion = client.chat.completions.create(model="m", messages=[], max_tokens=5)
            assert_type(completion, ChatCompletion)
            govern(object())
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "/dev/null",
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    # mypy ran (exit 1: errors found), and only the line that passes something other than an
    # SDK client is an error.
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(errors) == 1, result.stdout
    assert "typed.py:20:" in errors[0], result.stdout
    assert "govern" in errors[0], result.stdout
