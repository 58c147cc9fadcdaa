"""The chain: retries honouring Retry-After, fallbacks, policy hooks and telemetry."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass, field
from typing import Any

import pytest

from netrun.errors import (
    BadGatewayError,
    BudgetExceededError,
    ConfigurationError,
    PermissionDeniedError,
    RateLimitExceededError,
    ServiceUnavailableError,
    ValidationError,
)
from netrun.llm import LLMClient
from netrun.llm.adapters import (
    LLMProviderAuthenticationError,
    LLMStreamInterruptedError,
    OfflineAdapter,
)
from netrun.llm.conf import LLMConfig
from netrun.llm.protocols import LLMTelemetry, PolicyEnforcerProtocol, ReservationProtocol
from netrun.llm.testing import StubLLMServer, StubReply, StubUsage
from netrun.llm.types import AttemptInfo, ChatMessage, LLMResponse, Usage, prompt_token_bound
from tests.llm.adapters.conftest import API_KEY, build


@dataclass
class FakeReservation:
    provider: str
    log: list[tuple[str, Any]]

    def settle(self, usage: Usage) -> None:
        self.log.append(("settle", self.provider, usage))

    def release(self) -> None:
        self.log.append(("release", self.provider))


@dataclass
class FakeEnforcer:
    """Refuses per provider as told; records every call."""

    fallback_to_local: bool = False
    refuse: dict[str, Exception] = field(default_factory=dict)
    log: list[tuple[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def reserve(self, **request: Any) -> ReservationProtocol:
        self.requests.append(request)
        error = self.refuse.get(request["provider"])
        if error is not None:
            raise error
        return FakeReservation(request["provider"], self.log)


@dataclass
class FakeTelemetry:
    records: list[tuple[LLMResponse | BaseException, AttemptInfo]] = field(default_factory=list)

    def record(self, outcome: LLMResponse | BaseException, attempt: AttemptInfo) -> None:
        self.records.append((outcome, attempt))


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(stub: StubLLMServer, *providers: str, **kwargs: Any) -> tuple[LLMClient, Sleeps]:
    sleeps = Sleeps()
    kwargs.setdefault("sleep", sleeps)
    client = LLMClient([build(name, stub) for name in providers], **kwargs)
    return client, sleeps


def test_the_fakes_satisfy_the_protocols() -> None:
    assert isinstance(FakeEnforcer(), PolicyEnforcerProtocol)
    assert isinstance(FakeReservation("x", []), ReservationProtocol)
    assert isinstance(FakeTelemetry(), LLMTelemetry)


# ---------------------------------------------------------------------- retries


def test_a_429_is_retried_after_the_wait_it_asks_for(stub: StubLLMServer) -> None:
    stub.script(StubReply.rate_limited(retry_after=2), StubReply(text="finally"))
    client, sleeps = client_for(stub, "openai")
    response = client.chat("x")
    assert response.text == "finally"
    assert sleeps == [2.0]
    assert len(stub.requests) == 2


def test_retries_are_bounded_then_the_error_is_raised(stub: StubLLMServer) -> None:
    stub.script(*[StubReply.server_error(500) for _ in range(5)])
    client, sleeps = client_for(stub, "anthropic", max_retries=2, backoff=0.1)
    with pytest.raises(BadGatewayError) as caught:
        client.chat("x")
    assert len(stub.requests) == 3
    # Full-jitter exponential backoff without a Retry-After: ceilings 0.1, then 0.2.
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.1
    assert 0 <= sleeps[1] <= 0.2
    assert (
        caught.value.details["providers_tried"]
        == [{"provider": "anthropic", "error": "BAD_GATEWAY"}] * 3
    )


def test_a_retry_after_longer_than_allowed_moves_to_the_next_provider(
    stub: StubLLMServer,
) -> None:
    stub.script(StubReply.rate_limited(retry_after=120), StubReply(text="from ollama"))
    client, sleeps = client_for(stub, "openai", "ollama", max_retry_wait=30)
    response = client.chat("x")
    assert response.provider == "ollama"
    assert response.fallback_from == "openai"
    assert sleeps == []


def test_the_last_rate_limit_keeps_its_retry_after(stub: StubLLMServer) -> None:
    stub.script(StubReply.rate_limited(retry_after=90))
    client, _ = client_for(stub, "openai", max_retry_wait=30)
    with pytest.raises(RateLimitExceededError) as caught:
        client.chat("x")
    assert caught.value.retry_after == 90


def test_a_529_is_retried(stub: StubLLMServer) -> None:
    stub.script(StubReply.overloaded(headers={"retry-after": "1"}), StubReply(text="ok"))
    client, sleeps = client_for(stub, "anthropic")
    assert client.chat("x").text == "ok"
    assert sleeps == [1.0]


def test_a_timeout_is_retried_then_falls_back(stub: StubLLMServer) -> None:
    stub.script(StubReply(delay=2), StubReply(delay=2), StubReply(text="local"))
    slow = build("openai", stub, timeout=0.2)
    client = LLMClient([slow, build("ollama", stub)], max_retries=1, sleep=Sleeps())
    response = client.chat("x")
    assert response.provider == "ollama"
    assert response.text == "local"


# ---------------------------------------------------------------------- the chain


def test_the_chain_is_tried_in_order(stub: StubLLMServer) -> None:
    stub.script(
        StubReply.server_error(500),
        StubReply(status=401),
        StubReply(text="third time lucky"),
    )
    client, _ = client_for(stub, "anthropic", "openai", "azure_openai", max_retries=0)
    response = client.chat("x")
    assert [request.protocol for request in stub.requests] == [
        "anthropic",
        "openai",
        "azure_openai",
    ]
    assert response.provider == "azure_openai"
    assert response.fallback_from == "anthropic"


def test_a_provider_that_refuses_our_key_is_not_retried(stub: StubLLMServer) -> None:
    stub.script(StubReply(status=401), StubReply(text="ok"))
    client, sleeps = client_for(stub, "openai", "ollama")
    assert client.chat("x").provider == "ollama"
    assert sleeps == []
    assert len(stub.requests) == 2


def test_only_auth_errors_everywhere_raise_the_last(stub: StubLLMServer) -> None:
    stub.script(StubReply(status=401), StubReply(status=403))
    client, _ = client_for(stub, "openai", "anthropic")
    with pytest.raises(LLMProviderAuthenticationError) as caught:
        client.chat("x")
    assert [entry["provider"] for entry in caught.value.details["providers_tried"]] == [
        "openai",
        "anthropic",
    ]


def test_an_invalid_request_is_not_sent_to_other_providers(stub: StubLLMServer) -> None:
    stub.script(StubReply(status=400))
    client, _ = client_for(stub, "openai", "ollama")
    with pytest.raises(ValidationError):
        client.chat("x")
    assert len(stub.requests) == 1


def test_model_applies_to_the_first_provider_only(stub: StubLLMServer) -> None:
    stub.script(StubReply.server_error(500))
    client, _ = client_for(stub, "openai", "ollama", max_retries=0)
    client.chat("x", model="gpt-4.1")
    assert [request.body["model"] for request in stub.requests] == ["gpt-4.1", "llama3.2"]


def test_provider_pins_one_provider(stub: StubLLMServer) -> None:
    client, _ = client_for(stub, "openai", "ollama")
    response = client.chat("x", provider="ollama", model="qwen3")
    assert response.provider == "ollama"
    assert stub.requests[0].body["model"] == "qwen3"
    with pytest.raises(ValueError, match="not in this client's chain"):
        client.chat("x", provider="anthropic")


def test_an_empty_chain_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        LLMClient([]).chat("x")
    with pytest.raises(ValueError, match="max_retries"):
        LLMClient([], max_retries=-1)


def test_execute_keeps_the_seeds_api(stub: StubLLMServer) -> None:
    client, _ = client_for(stub, "openai")
    assert client.execute("Hi", {"system": "Be brief."}).text == "Hello from the stub."
    assert asyncio.run(client.execute_async("Hi")).provider == "openai"
    assert stub.requests[0].body["messages"][0] == {"role": "system", "content": "Be brief."}


# ---------------------------------------------------------------------- policy hooks


def test_every_attempt_is_reserved_and_settled_or_released(stub: StubLLMServer) -> None:
    stub.script(
        StubReply.server_error(500), StubReply(usage=StubUsage(input_tokens=9, output_tokens=4))
    )
    enforcer = FakeEnforcer()
    client, _ = client_for(stub, "openai", enforcer=enforcer)
    client.chat("hello world", max_tokens=64, reason="ticket_summary")
    assert enforcer.requests[0] == {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "estimated_input_tokens": prompt_token_bound([ChatMessage("user", "hello world")]),
        "max_output_tokens": 64,
        "reason": "ticket_summary",
    }
    assert enforcer.log[0] == ("release", "openai")
    kind, provider, usage = enforcer.log[1]
    assert (kind, provider) == ("settle", "openai")
    assert (usage.input_tokens, usage.output_tokens) == (9, 4)
    assert len(enforcer.log) == 2


def test_a_budget_refusal_falls_back_to_the_local_model(stub: StubLLMServer) -> None:
    enforcer = FakeEnforcer(fallback_to_local=True, refuse={"openai": BudgetExceededError()})
    local = build("ollama", stub)
    client, _ = client_for(stub, "openai", local_adapter=local, enforcer=enforcer)
    response = client.chat("x")
    assert response.provider == "ollama"
    assert [request["provider"] for request in enforcer.requests] == ["openai", "ollama"]
    assert [request.protocol for request in stub.requests] == ["ollama"]


def test_a_budget_refusal_falls_back_to_the_local_provider_the_policy_names() -> None:
    class Named(FakeEnforcer):
        local_provider = "offline"

    enforcer = Named(fallback_to_local=True, refuse={"ollama": BudgetExceededError()})
    offline = OfflineAdapter()
    with StubLLMServer() as stub:
        ollama = build("ollama", stub)
        client = LLMClient([ollama, offline], local_adapter=ollama, enforcer=enforcer)
        assert client.chat("x").provider == "offline"


def test_a_budget_refusal_without_fallback_is_raised(stub: StubLLMServer) -> None:
    enforcer = FakeEnforcer(refuse={"openai": BudgetExceededError(retry_after=3600)})
    client, _ = client_for(
        stub, "openai", "ollama", local_adapter=build("ollama", stub), enforcer=enforcer
    )
    with pytest.raises(BudgetExceededError) as caught:
        client.chat("x")
    assert caught.value.retry_after == 3600
    assert stub.requests == []


def test_a_policy_refusal_skips_to_the_next_provider(stub: StubLLMServer) -> None:
    enforcer = FakeEnforcer(refuse={"openai": PermissionDeniedError("model not allowed")})
    telemetry = FakeTelemetry()
    client, _ = client_for(stub, "openai", "anthropic", enforcer=enforcer, telemetry=telemetry)
    response = client.chat("x")
    assert response.provider == "anthropic"
    refused, attempt = telemetry.records[0]
    assert isinstance(refused, PermissionDeniedError)
    assert attempt.provider == "openai"
    assert telemetry.records[1][1].fallback_reason == "policy"


def test_telemetry_sees_every_attempt(stub: StubLLMServer) -> None:
    stub.script(StubReply.rate_limited(retry_after=1), StubReply(text="ok"))
    telemetry = FakeTelemetry()
    client, _ = client_for(stub, "openai", telemetry=telemetry)
    client.chat("x", reason="demo")
    (first, first_info), (second, second_info) = telemetry.records
    assert isinstance(first, RateLimitExceededError)
    assert first_info.will_retry is True
    assert first_info.retry_after == 1
    assert (first_info.attempt, second_info.attempt) == (1, 2)
    assert isinstance(second, LLMResponse)
    assert second_info.reason == "demo"
    assert second_info.streamed is False


def test_failing_telemetry_never_fails_the_call(stub: StubLLMServer) -> None:
    class Broken:
        def record(self, outcome: object, attempt: object) -> None:
            raise RuntimeError("collector down")

    client, _ = client_for(stub, "openai", telemetry=Broken())
    assert client.chat("x").text == "Hello from the stub."


def test_a_failing_settle_is_logged_not_raised(stub: StubLLMServer) -> None:
    class BadReservation:
        def settle(self, usage: Usage) -> None:
            raise RuntimeError("ledger down")

        def release(self) -> None:
            raise RuntimeError("ledger down")

    class Enforcer:
        fallback_to_local = False

        def reserve(self, **request: Any) -> BadReservation:
            return BadReservation()

    client, _ = client_for(stub, "openai", enforcer=Enforcer())
    assert client.chat("x").provider == "openai"


# ---------------------------------------------------------------------- async


def test_achat_retries_and_falls_back_without_blocking(stub: StubLLMServer) -> None:
    stub.script(StubReply.rate_limited(retry_after=1), StubReply.server_error(503))
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    enforcer = FakeEnforcer()
    client = LLMClient(
        [build("anthropic", stub), build("ollama", stub)],
        max_retries=1,
        async_sleep=fake_sleep,
        enforcer=enforcer,
    )
    response = asyncio.run(client.achat("x"))
    assert response.provider == "ollama"
    assert waits == [1.0]
    assert [entry[0] for entry in enforcer.log] == ["release", "release", "settle"]


def test_achat_uses_the_async_enforcer_methods(stub: StubLLMServer) -> None:
    calls: list[str] = []

    class AsyncReservation:
        def settle(self, usage: Usage) -> None:
            calls.append("sync-settle")

        def release(self) -> None:
            calls.append("sync-release")

        async def asettle(self, usage: Usage) -> None:
            calls.append("asettle")

        async def arelease(self) -> None:
            calls.append("arelease")

    class AsyncEnforcer:
        fallback_to_local = True

        def reserve(self, **request: Any) -> AsyncReservation:
            calls.append("sync-reserve")
            return AsyncReservation()

        async def areserve(self, **request: Any) -> AsyncReservation:
            calls.append("areserve")
            if request["provider"] == "openai":
                raise BudgetExceededError()
            return AsyncReservation()

    stub.script(StubReply.server_error(400), StubReply(text="ok"))
    client = LLMClient(
        [build("openai", stub), build("ollama", stub)],
        local_adapter=build("ollama", stub),
        enforcer=AsyncEnforcer(),
    )
    with pytest.raises(ValidationError):
        asyncio.run(client.achat("x", provider="ollama"))
    assert asyncio.run(client.achat("x")).provider == "ollama"
    assert calls == ["areserve", "arelease", "areserve", "areserve", "asettle"]


def test_a_cancelled_async_call_releases_its_reservation(stub: StubLLMServer) -> None:
    stub.script(StubReply(delay=2))
    enforcer = FakeEnforcer()
    client = LLMClient([build("openai", stub)], enforcer=enforcer)

    async def cancel_it() -> None:
        task = asyncio.create_task(client.achat("x"))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_it())
    assert enforcer.log == [("release", "openai")]


# ---------------------------------------------------------------------- streams


def test_a_stream_that_fails_before_its_first_token_falls_back(stub: StubLLMServer) -> None:
    stub.script(StubReply("never seen", cut_after=0), StubReply("from the fallback"))
    enforcer = FakeEnforcer()
    client, _ = client_for(stub, "openai", "ollama", enforcer=enforcer, max_retries=0)
    stream = client.stream("x")
    assert "".join(chunk.text for chunk in stream) == "from the fallback"
    assert stream.response is not None
    assert stream.response.provider == "ollama"
    assert stream.response.fallback_from == "openai"
    assert [entry[0] for entry in enforcer.log] == ["release", "settle"]


def test_an_anthropic_stream_cut_after_message_start_bills_the_prompt_then_falls_back(
    stub: StubLLMServer,
) -> None:
    stub.script(StubReply("never seen", cut_after=0), StubReply("fallback"))
    enforcer = FakeEnforcer()
    client, _ = client_for(stub, "anthropic", "ollama", enforcer=enforcer, max_retries=0)
    assert "".join(chunk.text for chunk in client.stream("x")) == "fallback"
    kind, provider, usage = enforcer.log[0]
    assert (kind, provider, usage.input_tokens) == ("settle", "anthropic", 12)


def test_a_stream_broken_mid_answer_is_reported_and_billed(stub: StubLLMServer) -> None:
    stub.script(StubReply("one two three four", cut_after=2), StubReply("never used"))
    enforcer = FakeEnforcer()
    telemetry = FakeTelemetry()
    client, _ = client_for(stub, "openai", "ollama", enforcer=enforcer, telemetry=telemetry)
    stream = client.stream("x")
    received: list[str] = []

    def consume() -> None:
        for chunk in stream:
            received.append(chunk.text)

    with pytest.raises(LLMStreamInterruptedError):
        consume()
    assert received == ["one ", "two "]
    assert len(stub.requests) == 1  # no fallback after text reached the user
    kind, _, usage = enforcer.log[0]
    assert kind == "settle"
    assert usage.output_tokens >= 2
    assert stream.response is not None
    assert stream.response.complete is False
    assert isinstance(telemetry.records[-1][0], LLMStreamInterruptedError)


def test_a_consumer_that_stops_reading_is_billed_what_it_consumed(stub: StubLLMServer) -> None:
    stub.reply("a b c d e f g h", chunk_delay=0.05)
    enforcer = FakeEnforcer()
    client, _ = client_for(stub, "anthropic", enforcer=enforcer)
    with client.stream("x") as stream:
        next(stream)
    assert stream.response is not None
    assert stream.response.finish_reason == "cancelled"
    kind, _, usage = enforcer.log[0]
    assert kind == "settle"
    assert usage.input_tokens == 12  # Anthropic's own count, from message_start
    assert usage.output_tokens == 1
    assert len(enforcer.log) == 1


def test_a_closed_unstarted_stream_reserves_nothing(stub: StubLLMServer) -> None:
    enforcer = FakeEnforcer()
    client, _ = client_for(stub, "openai", enforcer=enforcer)
    client.stream("x").close()
    assert enforcer.requests == []
    assert stub.requests == []


def test_a_complete_stream_settles_the_real_usage(stub: StubLLMServer) -> None:
    stub.reply("hi there", usage=StubUsage(input_tokens=40, output_tokens=2))
    enforcer = FakeEnforcer()
    client, _ = client_for(stub, "azure_openai", enforcer=enforcer)
    stream = client.stream("x")
    assert [chunk.text for chunk in stream] == ["hi ", "there"]
    assert stream.text == "hi there"
    kind, _, usage = enforcer.log[0]
    assert (kind, usage.input_tokens, usage.output_tokens, usage.estimated) == (
        "settle",
        40,
        2,
        False,
    )


def test_a_stream_budget_refusal_falls_back_to_local(stub: StubLLMServer) -> None:
    enforcer = FakeEnforcer(fallback_to_local=True, refuse={"openai": BudgetExceededError()})
    client, _ = client_for(stub, "openai", local_adapter=OfflineAdapter(), enforcer=enforcer)
    stream = client.stream("x")
    text = "".join(chunk.text for chunk in stream)
    assert text.startswith("[offline provider]")
    assert stream.response is not None
    assert stream.response.fallback_from == "openai"


def test_an_async_stream_falls_back_and_settles(stub: StubLLMServer) -> None:
    stub.script(StubReply.rate_limited(retry_after=1), StubReply("async answer"))
    enforcer = FakeEnforcer()
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    client = LLMClient([build("ollama", stub)], enforcer=enforcer, async_sleep=fake_sleep)

    async def consume() -> str:
        async with client.astream("x") as stream:
            return "".join([chunk.text async for chunk in stream])

    assert asyncio.run(consume()) == "async answer"
    assert waits == [1.0]
    assert [entry[0] for entry in enforcer.log] == ["release", "settle"]


def test_an_async_stream_broken_mid_answer_is_billed(stub: StubLLMServer) -> None:
    stub.script(StubReply("one two three", cut_after=1))
    enforcer = FakeEnforcer()
    client = LLMClient([build("openai", stub)], enforcer=enforcer)

    async def consume() -> None:
        async for _chunk in client.astream("x"):
            pass

    with pytest.raises(LLMStreamInterruptedError):
        asyncio.run(consume())
    assert enforcer.log[0][0] == "settle"


def test_an_async_stream_closed_early_is_billed(stub: StubLLMServer) -> None:
    stub.reply("a b c d e f", chunk_delay=0.05)
    enforcer = FakeEnforcer()
    client = LLMClient([build("openai", stub)], enforcer=enforcer)

    async def consume() -> LLMResponse | None:
        stream = client.astream("x")
        await stream.__anext__()
        await stream.aclose()
        return stream.response

    response = asyncio.run(consume())
    assert response is not None
    assert response.finish_reason == "cancelled"
    assert enforcer.log[0][0] == "settle"


def test_a_stream_dropped_mid_answer_is_billed_what_it_consumed(stub: StubLLMServer) -> None:
    stub.reply("a b c d e f g h", chunk_delay=0.05)
    enforcer = FakeEnforcer()
    client, _ = client_for(stub, "openai", enforcer=enforcer)
    stream = client.stream("x")
    next(stream)
    del stream  # a client disconnect: nobody calls close()
    gc.collect()
    assert [entry[0] for entry in enforcer.log] == ["settle"]
    assert enforcer.log[0][2].output_tokens == 1


def test_an_async_stream_dropped_mid_answer_is_billed_by_the_event_loop(
    stub: StubLLMServer,
) -> None:
    stub.reply("a b c d e f g h", chunk_delay=0.05)
    enforcer = FakeEnforcer()
    client = LLMClient([build("openai", stub)], enforcer=enforcer)

    async def consume_and_drop() -> None:
        stream = client.astream("x")
        await stream.__anext__()
        del stream  # nobody calls aclose(): the loop's async generator hook does
        gc.collect()
        for _ in range(500):
            if enforcer.log:
                return
            await asyncio.sleep(0.01)

    asyncio.run(consume_and_drop())
    assert [entry[0] for entry in enforcer.log] == ["settle"]
    assert enforcer.log[0][2].output_tokens == 1


def test_a_stream_dropped_in_a_reference_cycle_is_billed(stub: StubLLMServer) -> None:
    stub.reply("a b c d e f g h", chunk_delay=0.05)
    enforcer = FakeEnforcer()
    client, _ = client_for(stub, "openai", enforcer=enforcer)
    stream = client.stream("x")
    next(stream)
    holder: dict[str, Any] = {"stream": stream}
    holder["itself"] = holder  # only the garbage collector frees it
    del stream, holder
    gc.collect()
    assert [entry[0] for entry in enforcer.log] == ["settle"]


def test_an_async_stream_dropped_in_a_reference_cycle_is_billed(stub: StubLLMServer) -> None:
    stub.reply("a b c d e f g h", chunk_delay=0.05)
    enforcer = FakeEnforcer()
    client = LLMClient([build("openai", stub)], enforcer=enforcer)

    async def consume_and_drop() -> None:
        stream = client.astream("x")
        await stream.__anext__()
        holder: dict[str, Any] = {"stream": stream}
        holder["itself"] = holder
        del stream, holder
        gc.collect()  # the stream's flow is not closed with it: the loop closes its driver
        for _ in range(500):
            if enforcer.log:
                return
            await asyncio.sleep(0.01)

    asyncio.run(consume_and_drop())
    assert [entry[0] for entry in enforcer.log] == ["settle"]


def test_an_async_stream_with_every_provider_down_raises(stub: StubLLMServer) -> None:
    stub.script(StubReply(status=401))
    client = LLMClient([build("openai", stub)])

    async def consume() -> None:
        async for _chunk in client.astream("x"):
            pass

    with pytest.raises(LLMProviderAuthenticationError):
        asyncio.run(consume())


def test_a_stream_with_every_provider_down_raises(stub: StubLLMServer) -> None:
    stub.script(StubReply.server_error(503))
    client, _ = client_for(stub, "openai", max_retries=0)
    with pytest.raises(ServiceUnavailableError):
        list(client.stream("x"))


# ---------------------------------------------------------------------- from_config


def test_from_config_builds_the_chain_and_skips_providers_without_keys(
    stub: StubLLMServer,
) -> None:
    config = LLMConfig(
        llm_provider_chain="claude, openai, azure, ollama",
        anthropic_api_key=API_KEY,
        anthropic_base_url=stub.anthropic_base_url,
        ollama_base_url=stub.ollama_base_url,
        local_provider="ollama",
        max_retries=4,
        _env_file=None,
    )
    client = LLMClient.from_config(config)
    assert [adapter.provider for adapter in client.adapters] == ["anthropic", "ollama"]
    assert client.local_adapter is client.adapters[1]
    assert client.max_retries == 4
    assert "anthropic,ollama" in repr(client)
    assert client.chat("x").provider == "anthropic"


def test_from_config_builds_every_provider(stub: StubLLMServer) -> None:
    config = LLMConfig(
        llm_provider_chain="openai,azure_openai,offline",
        openai_api_key=API_KEY,
        openai_base_url=stub.openai_base_url,
        azure_openai_endpoint=stub.azure_endpoint,
        azure_openai_key=API_KEY,
        azure_openai_deployment="dep",
        local_provider="offline",
        _env_file=None,
    )
    client = LLMClient.from_config(config)
    assert [adapter.provider for adapter in client.adapters] == [
        "openai",
        "azure_openai",
        "offline",
    ]
    assert client.local_adapter is client.adapters[2]


def test_from_config_refuses_an_unknown_provider() -> None:
    config = LLMConfig(llm_provider_chain="openai,mistral", _env_file=None)
    with pytest.raises(ConfigurationError, match="NETRUN_LLM_PROVIDER_CHAIN"):
        LLMClient.from_config(config)


def test_from_config_reads_the_settings_by_default(settings: Any) -> None:
    settings.NETRUN_LLM_PROVIDER_CHAIN = "offline"
    settings.NETRUN_LLM_LOCAL_PROVIDER = ""
    client = LLMClient.from_config()
    assert [adapter.provider for adapter in client.adapters] == ["offline"]
    assert client.local_adapter is None


def test_from_config_builds_gemini_from_its_settings() -> None:
    config = LLMConfig(
        llm_provider_chain="google,offline",
        gemini_api_key="gm-test-key",
        gemini_model="gemini-2.5-pro",
        _env_file=None,
    )
    client = LLMClient.from_config(config)
    assert [adapter.provider for adapter in client.adapters] == ["gemini", "offline"]
    assert client.adapters[0].model == "gemini-2.5-pro"
    keyless = LLMConfig(llm_provider_chain="gemini,offline", _env_file=None)
    assert [a.provider for a in LLMClient.from_config(keyless).adapters] == ["offline"]
