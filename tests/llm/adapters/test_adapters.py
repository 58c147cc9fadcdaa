"""Every adapter through its real SDK (or httpx for Ollama) against the loopback stub."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from netrun.errors import (
    BadGatewayError,
    GatewayTimeoutError,
    RateLimitExceededError,
    ServiceUnavailableError,
    ValidationError,
)
from netrun.llm.adapters import (
    AnthropicAdapter,
    AzureOpenAIAdapter,
    LLMProviderAuthenticationError,
    LLMStreamInterruptedError,
    OpenAIAdapter,
)
from netrun.llm.testing import StubLLMServer, StubReply, StubUsage
from netrun.llm.types import ChatMessage, LLMResponse, StreamChunk
from netrun.logging.testing import capture_logs
from tests.llm.adapters.conftest import API_KEY, NORMAL_FINISH, AdapterFactory, build

PROMPT = "The secret plan is codeword-pineapple"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# ---------------------------------------------------------------------- whole answers


def test_chat_returns_the_normalised_response(
    stub: StubLLMServer, make: AdapterFactory, provider: str
) -> None:
    stub.reply("Four.", usage=StubUsage(input_tokens=20, output_tokens=3))
    response = make().chat([{"role": "user", "content": "2+2?"}], max_tokens=50)
    assert response.text == "Four."
    assert response.provider == provider
    assert response.usage.input_tokens == 20
    assert response.usage.output_tokens == 3
    assert response.finish_reason == NORMAL_FINISH[provider]
    assert response.complete is True
    assert response.latency_ms > 0
    if provider != "ollama":  # Ollama has no request id
        assert response.request_id is not None
        assert response.request_id.startswith("req_stub_")
    assert len(stub.requests) == 1  # the SDK's own retries are off


def test_achat_is_truly_async(stub: StubLLMServer, make: AdapterFactory, provider: str) -> None:
    # The stub records a request on arrival, then holds its answer. Both requests in flight
    # at once, seen from the same loop, proves the calls do not block it (a sync-wrapped
    # client would finish the first call before the loop could send the second).
    stub.script(StubReply("one", delay=1.0), StubReply("two", delay=1.0))
    adapter = make()

    async def both() -> tuple[list[LLMResponse], bool]:
        calls = [asyncio.ensure_future(adapter.achat(text)) for text in ("a", "b")]
        while len(stub.requests) < 2 and not all(call.done() for call in calls):
            await asyncio.sleep(0.005)
        overlapped = len(stub.requests) == 2 and not any(call.done() for call in calls)
        return list(await asyncio.gather(*calls)), overlapped

    responses, overlapped = run(both())
    assert sorted(r.text for r in responses) == ["one", "two"]
    assert overlapped


def test_execute_and_execute_async_keep_the_seeds_api(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    adapter = make()
    first = adapter.execute("Hi", {"system": "Be brief.", "max_tokens": 10})
    second = run(adapter.execute_async("Hi again", {"history": [ChatMessage("user", "Hi")]}))
    assert first.text == second.text == "Hello from the stub."
    bodies = [request.body for request in stub.requests]
    assert "Be brief." in str(bodies[0])
    # Gemini calls the conversation "contents".
    assert len(bodies[1].get("messages") or bodies[1]["contents"]) == 2


def test_openai_prompt_tokens_include_the_cache_and_are_split(stub: StubLLMServer) -> None:
    stub.reply(
        usage=StubUsage(
            input_tokens=100, cache_read_tokens=900, cache_write_tokens=50, output_tokens=40,
            reasoning_tokens=30,
        )
    )  # fmt: skip
    usage = build("openai", stub).chat("x").usage
    assert (usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens) == (100, 900, 50)
    assert (usage.output_tokens, usage.reasoning_tokens) == (40, 30)
    assert usage.prompt_tokens == 1050


def test_anthropic_input_tokens_exclude_the_cache(stub: StubLLMServer) -> None:
    stub.reply(
        usage=StubUsage(
            input_tokens=100, cache_read_tokens=900, cache_write_tokens=50, output_tokens=40,
            reasoning_tokens=25,
        )
    )  # fmt: skip
    usage = build("anthropic", stub).chat("x").usage
    assert (usage.input_tokens, usage.cache_read_tokens, usage.cache_write_tokens) == (100, 900, 50)
    assert (usage.output_tokens, usage.reasoning_tokens) == (40, 25)


def test_anthropic_gets_system_messages_as_the_system_parameter(stub: StubLLMServer) -> None:
    build("anthropic", stub).chat(
        [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"}]
    )
    body = stub.requests[0].body
    assert body["system"] == "Be terse."
    assert body["messages"] == [{"role": "user", "content": "Hi"}]
    # anthropic 2.x sends the API key as a bearer token.
    assert stub.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_azure_puts_deployment_and_api_version_in_the_url(stub: StubLLMServer) -> None:
    adapter = AzureOpenAIAdapter(
        endpoint=stub.azure_endpoint,
        api_key=API_KEY,
        deployment="default-dep",
        deployments={"gpt-4o": "gpt4o-prod"},
        api_version="2024-10-21",
    )
    adapter.chat("x")
    adapter.chat("x", model="gpt-4o")
    first, second = stub.requests
    assert first.deployment == "default-dep"
    assert second.deployment == "gpt4o-prod"
    assert first.query["api-version"] == ["2024-10-21"]
    assert first.headers["api-key"] == API_KEY


def test_openai_sends_the_key_as_a_bearer_token(stub: StubLLMServer) -> None:
    build("openai", stub).chat("x", max_tokens=77, temperature=0.2)
    request = stub.requests[0]
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.body["max_completion_tokens"] == 77
    assert request.body["temperature"] == 0.2


def test_ollama_passes_max_tokens_as_num_predict(stub: StubLLMServer) -> None:
    build("ollama", stub).chat("x", max_tokens=33, temperature=0)
    assert stub.requests[0].body["options"] == {"num_predict": 33, "temperature": 0}
    assert stub.requests[0].body["stream"] is False


# ---------------------------------------------------------------------- errors


def test_429_maps_to_rate_limit_exceeded_with_retry_after(
    stub: StubLLMServer, make: AdapterFactory, provider: str
) -> None:
    stub.script(StubReply.rate_limited(retry_after=7))
    with pytest.raises(RateLimitExceededError) as caught:
        make().chat("x")
    assert caught.value.retry_after == 7
    assert caught.value.details["provider"] == provider
    assert caught.value.details["provider_status"] == 429


def test_retry_after_ms_is_preferred_and_rounded_up(stub: StubLLMServer) -> None:
    stub.script(StubReply(status=429, headers={"retry-after-ms": "1500", "retry-after": "9"}))
    with pytest.raises(RateLimitExceededError) as caught:
        build("openai", stub).chat("x")
    assert caught.value.retry_after == 2


def test_500_maps_to_bad_gateway(stub: StubLLMServer, make: AdapterFactory) -> None:
    stub.script(StubReply.server_error(500))
    with pytest.raises(BadGatewayError) as caught:
        make().chat("x")
    assert caught.value.status_code == 502
    assert caught.value.details["provider_status"] == 500


@pytest.mark.parametrize("status", [503, 529])
def test_503_and_529_map_to_service_unavailable(
    stub: StubLLMServer, make: AdapterFactory, status: int
) -> None:
    stub.script(StubReply(status=status, headers={"retry-after": "3"}))
    with pytest.raises(ServiceUnavailableError) as caught:
        make().chat("x")
    assert caught.value.details["retry_after"] == 3


def test_anthropic_overloaded_529(stub: StubLLMServer) -> None:
    stub.script(StubReply.overloaded())
    with pytest.raises(ServiceUnavailableError):
        run(build("anthropic", stub).achat("x"))


def test_a_provider_refusing_our_key_is_a_502_not_a_401(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.script(StubReply(status=401))
    with pytest.raises(LLMProviderAuthenticationError) as caught:
        make().chat("x")
    assert caught.value.status_code == 502


def test_a_rejected_request_is_a_validation_error(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.script(StubReply(status=400))
    with pytest.raises(ValidationError):
        make().chat("x")


def test_a_slow_provider_times_out_as_gateway_timeout(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.script(StubReply(delay=2.0))
    with pytest.raises(GatewayTimeoutError):
        make(timeout=0.3).chat("x")


def test_a_slow_provider_times_out_in_async_code_too(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.script(StubReply(delay=2.0))
    with pytest.raises(GatewayTimeoutError):
        run(make(timeout=0.3).achat("x"))


def test_an_unreachable_provider_is_service_unavailable(provider: str) -> None:
    with StubLLMServer() as server:
        adapter = build(provider, server, timeout=2.0)
    # The server is gone: nothing listens on its port any more.
    with pytest.raises(ServiceUnavailableError):
        adapter.chat("x")


def test_errors_and_logs_never_contain_the_prompt_or_the_key(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.script(StubReply.rate_limited(), StubReply.server_error(500))
    adapter = make()
    with capture_logs() as logs:
        with pytest.raises(RateLimitExceededError) as caught:
            adapter.chat(PROMPT)
        with pytest.raises(BadGatewayError) as second:
            adapter.chat(PROMPT)
    for error in (caught.value, second.value):
        text = repr(error) + str(error.to_dict())
        assert "pineapple" not in text
        assert API_KEY not in text
        assert error.__cause__ is None  # the SDK's exception (with its body) is not chained
    events = str(logs)
    assert "pineapple" not in events
    assert API_KEY not in events
    assert "llm_error" in events
    assert repr(adapter).count("sk-") == 0


# ---------------------------------------------------------------------- streams


def test_stream_yields_deltas_and_the_real_usage(
    stub: StubLLMServer, make: AdapterFactory, provider: str
) -> None:
    stub.reply("The quick brown fox", usage=StubUsage(input_tokens=30, output_tokens=4))
    completed: list[LLMResponse] = []
    stream = make().stream("x", on_complete=completed.append)
    chunks = list(stream)
    assert [chunk.text for chunk in chunks] == ["The ", "quick ", "brown ", "fox"]
    assert all(isinstance(chunk, StreamChunk) for chunk in chunks)
    assert [chunk.index for chunk in chunks] == [0, 1, 2, 3]
    response = stream.response
    assert response is not None
    assert completed == [response]
    assert response.text == "The quick brown fox"
    assert response.complete is True
    assert response.finish_reason == NORMAL_FINISH[provider]
    assert (response.usage.input_tokens, response.usage.output_tokens) == (30, 4)
    assert response.usage.estimated is False


@pytest.mark.parametrize("provider_name", ["openai", "azure_openai", "anthropic"])
def test_streams_and_errors_carry_the_providers_request_id(
    stub: StubLLMServer, provider_name: str
) -> None:
    # Each provider names its request-id header its own way (request-id for Anthropic).
    stub.reply("one two")
    stream = build(provider_name, stub).stream("x")
    list(stream)
    assert stream.response is not None
    assert (stream.response.request_id or "").startswith("req_stub_")
    stub.script(StubReply.server_error(500))
    with pytest.raises(BadGatewayError) as caught:
        build(provider_name, stub).chat("x")
    assert caught.value.details["provider_request_id"].startswith("req_stub_")


def test_openai_streams_always_ask_for_usage(stub: StubLLMServer) -> None:
    list(build("openai", stub).stream("x"))
    list(build("azure_openai", stub).stream("x"))
    for request in stub.requests:
        assert request.body["stream"] is True
        assert request.body["stream_options"] == {"include_usage": True}


def test_astream_yields_the_same(stub: StubLLMServer, make: AdapterFactory) -> None:
    stub.reply("one two", usage=StubUsage(input_tokens=5, output_tokens=2))

    async def consume() -> tuple[list[str], LLMResponse | None]:
        async with make().astream("x") as stream:
            texts = [chunk.text async for chunk in stream]
        return texts, stream.response

    texts, response = run(consume())
    assert texts == ["one ", "two"]
    assert response is not None
    assert response.usage.output_tokens == 2
    assert response.complete is True


def test_a_stream_cut_mid_way_raises_interrupted_with_what_was_consumed(
    stub: StubLLMServer, make: AdapterFactory, provider: str
) -> None:
    stub.reply("alpha beta gamma delta", cut_after=2)
    completed: list[LLMResponse] = []
    stream = make().stream("x", on_complete=completed.append)
    received: list[str] = []

    def consume() -> None:
        for chunk in stream:
            received.append(chunk.text)

    with pytest.raises(LLMStreamInterruptedError) as caught:
        consume()
    assert received == ["alpha ", "beta "]
    partial = caught.value.response
    assert partial is not None
    assert partial.complete is False
    assert partial.finish_reason == "interrupted"
    assert partial.text == "alpha beta "
    assert partial.usage.output_tokens >= 2
    assert partial.usage.estimated is True
    assert completed == [partial]
    assert caught.value.details["chunks_received"] == 2
    if provider == "anthropic":
        # Anthropic reported the exact input when the stream started.
        assert partial.usage.input_tokens == 12


def test_an_async_stream_cut_mid_way_raises_interrupted(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.reply("alpha beta gamma", cut_after=1)

    async def consume() -> list[str]:
        received = []
        async for chunk in make().astream("x"):
            received.append(chunk.text)
        return received

    with pytest.raises(LLMStreamInterruptedError) as caught:
        run(consume())
    assert caught.value.response is not None
    assert caught.value.response.text == "alpha "


def test_a_stream_cut_before_the_first_token_raises_the_provider_error(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.reply("alpha beta", cut_after=0)
    stream = make().stream("x")
    with pytest.raises(ServiceUnavailableError) as caught:
        next(stream)
    assert not isinstance(caught.value, LLMStreamInterruptedError)
    assert stream.chunks_received == 0


def test_a_stream_that_ends_without_finishing_is_interrupted(stub: StubLLMServer) -> None:
    # All text arrived but the connection dropped before the provider's final event.
    stub.reply("alpha beta", cut_after=2)
    stream = build("openai", stub).stream("x")
    with pytest.raises(LLMStreamInterruptedError):
        list(stream)


def test_closing_a_stream_early_bills_what_was_consumed(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.reply("w1 w2 w3 w4 w5 w6 w7 w8", chunk_delay=0.05)
    completed: list[LLMResponse] = []
    with make().stream("a prompt of some length", on_complete=completed.append) as stream:
        first = next(stream)
        second = next(stream)
    assert (first.text, second.text) == ("w1 ", "w2 ")
    response = stream.response
    assert response is not None
    assert completed == [response]
    assert response.complete is False
    assert response.finish_reason == "cancelled"
    assert response.text == "w1 w2 "
    assert response.usage.output_tokens == 2
    assert response.usage.input_tokens > 0
    assert response.usage.estimated is True
    stream.close()  # idempotent
    assert completed == [response]
    with pytest.raises(StopIteration):
        next(stream)


def test_closing_an_async_stream_early_bills_what_was_consumed(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.reply("w1 w2 w3 w4 w5 w6", chunk_delay=0.05)
    seen: list[LLMResponse] = []

    async def on_complete(response: LLMResponse) -> None:
        seen.append(response)

    async def consume() -> LLMResponse | None:
        stream = make().astream("x", on_complete=on_complete)
        async for _chunk in stream:
            break
        await stream.aclose()
        return stream.response

    response = run(consume())
    assert response is not None
    assert seen == [response]
    assert response.text == "w1 "
    assert response.finish_reason == "cancelled"


def test_a_dropped_stream_is_billed_when_collected(stub: StubLLMServer) -> None:
    stub.reply("w1 w2 w3 w4", chunk_delay=0.05)
    completed: list[LLMResponse] = []
    stream = build("openai", stub).stream("x", on_complete=completed.append)
    next(stream)
    del stream  # a client disconnect: nobody calls close()
    assert len(completed) == 1
    assert completed[0].finish_reason == "cancelled"


def test_stream_errors_before_any_text_map_like_calls(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.script(StubReply.rate_limited(retry_after=2))
    with pytest.raises(RateLimitExceededError) as caught:
        list(make().stream("x"))
    assert caught.value.retry_after == 2


def test_async_stream_errors_before_any_text_map_like_calls(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    stub.script(StubReply.server_error(500))

    async def consume() -> None:
        async for _chunk in make().astream("x"):
            pass

    with pytest.raises(BadGatewayError):
        run(consume())


def test_a_slow_stream_times_out_between_chunks(stub: StubLLMServer, make: AdapterFactory) -> None:
    stub.reply("a b c", chunk_delay=1.5)
    stream = make(timeout=0.3).stream("x")
    with pytest.raises(GatewayTimeoutError):
        list(stream)


def test_an_error_event_inside_an_anthropic_stream(stub: StubLLMServer) -> None:
    adapter = build("anthropic", stub)
    state_error = adapter.map_error(
        _anthropic_stream_error({"type": "error", "error": {"type": "overloaded_error"}})
    )
    assert isinstance(state_error, ServiceUnavailableError)


def _anthropic_stream_error(body: dict[str, Any]) -> Exception:
    import anthropic
    import httpx2

    response = httpx2.Response(200, request=httpx2.Request("POST", "http://127.0.0.1/v1/messages"))
    return anthropic.APIStatusError("error", response=response, body=body)


# ---------------------------------------------------------------------- clients


def test_close_and_aclose_release_the_http_clients(
    stub: StubLLMServer, make: AdapterFactory
) -> None:
    adapter = make()
    adapter.chat("x")

    async def use_then_close() -> None:
        # An async HTTP client belongs to its event loop: use and close it in the same one.
        await adapter.achat("x")
        assert adapter._async is not None
        await adapter.aclose()
        assert adapter._async is None

    run(use_then_close())
    assert adapter._sync is not None
    adapter.close()
    assert adapter._sync is None
    adapter.chat("x")  # a new client is opened on demand
    assert len(stub.requests) == 3


def test_an_adapter_never_shows_its_key() -> None:
    for adapter in (
        OpenAIAdapter(api_key=API_KEY),
        AnthropicAdapter(api_key=API_KEY),
        AzureOpenAIAdapter(endpoint="https://x.openai.azure.com", api_key=API_KEY, deployment="d"),
    ):
        assert API_KEY not in repr(adapter)


def test_max_tokens_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        OpenAIAdapter(api_key=API_KEY, max_tokens=0)
    with pytest.raises(ValueError, match="max_tokens"):
        OpenAIAdapter(api_key=API_KEY).chat("x", max_tokens=0)
