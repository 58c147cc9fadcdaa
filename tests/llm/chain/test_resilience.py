"""Resilience of the chain: full-jitter retries that honour Retry-After, circuit breakers,
cooldowns, context-window fallbacks, aliases and routing groups.

End to end through ``LLMClient`` with the real SDKs against the loopback stub made to fail;
the clock, the sleeps and the jitter's random source are injected, never read from the wall.
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from redis.crc import key_slot

from netrun.errors import BadGatewayError, ServiceUnavailableError, ValidationError
from netrun.llm import LLMClient, LLMConfig
from netrun.llm.resilience import (
    Backoff,
    BreakerStore,
    CircuitBreaker,
    LLMCircuitOpenError,
    MemoryBreakerStore,
    RedisBreakerStore,
)
from netrun.llm.resilience.django import invalidate_aliases
from netrun.llm.testing import StubLLMServer, StubReply
from netrun.llm.types import AttemptInfo, LLMResponse
from netrun.logging.testing import capture_logs
from tests.llm.adapters.conftest import build


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(stub: StubLLMServer, *providers: str, **kwargs: Any) -> tuple[LLMClient, Sleeps]:
    sleeps = Sleeps()
    kwargs.setdefault("sleep", sleeps)
    return LLMClient([build(name, stub) for name in providers], **kwargs), sleeps


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(lifetime=60) as server:
        yield server


class Clock:
    """Wall-clock seconds that move only when the test says so."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Telemetry:
    records: list[tuple[LLMResponse | BaseException, AttemptInfo]] = field(default_factory=list)

    def record(self, outcome: LLMResponse | BaseException, attempt: AttemptInfo) -> None:
        self.records.append((outcome, attempt))


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[BreakerStore]:
    if request.param == "memory":
        yield MemoryBreakerStore()
        return
    redis_store = RedisBreakerStore(request.getfixturevalue("redis_url"))
    yield redis_store
    redis_store.close()


# ---------------------------------------------------------------------- backoff


def test_backoff_without_a_hint_is_full_jitter_under_a_doubling_capped_ceiling(
    stub: StubLLMServer,
) -> None:
    stub.script(*[StubReply.server_error(500) for _ in range(4)])
    client, sleeps = client_for(
        stub, "anthropic", max_retries=3, backoff=0.5, max_backoff=1.5, rng=random.Random(7)
    )
    with pytest.raises(BadGatewayError):
        client.chat("x")
    draws = random.Random(7)
    # Ceilings 0.5, 1.0, then 2.0 capped to 1.5; each wait is drawn from [0, ceiling].
    assert sleeps == [draws.uniform(0, 0.5), draws.uniform(0, 1.0), draws.uniform(0, 1.5)]
    assert len(stub.requests) == 4


def test_retry_after_ms_is_honoured_as_sent_and_the_retry_says_why(stub: StubLLMServer) -> None:
    stub.script(
        StubReply(status=429, headers={"retry-after-ms": "1500", "retry-after": "9"}),
        StubReply.server_error(503),
        StubReply(text="ok"),
    )
    client, sleeps = client_for(stub, "openai", rng=random.Random(3))
    with capture_logs() as logs:
        assert client.chat("x").text == "ok"
    assert sleeps[0] == 1.5  # retry-after-ms wins over Retry-After, and gets no jitter
    assert 0 <= sleeps[1] <= 1.0  # the second retry backs off (ceiling 0.5 * 2)
    retries = [event for event in logs if event["event"] == "llm_retry"]
    assert [(r["attempt"], r["reason"], r["error_code"]) for r in retries] == [
        (1, "retry_after", "RATE_LIMIT_EXCEEDED"),
        (2, "backoff", "SERVICE_UNAVAILABLE"),
    ]
    assert retries[0]["wait_s"] == 1.5


def test_a_retry_after_beyond_max_retry_wait_is_not_slept_through(stub: StubLLMServer) -> None:
    stub.script(StubReply.rate_limited(retry_after=45), StubReply(text="from ollama"))
    client, sleeps = client_for(stub, "openai", "ollama", max_retry_wait=30)
    response = client.chat("x")
    assert (response.provider, sleeps) == ("ollama", [])


def test_full_jitter_spreads_the_waits_over_the_whole_interval() -> None:
    backoff = Backoff(base=1.0, cap=4.0, max_wait=10, rng=random.Random(11))
    waits = [plan.seconds for plan in (backoff.plan(3, None) for _ in range(2000)) if plan]
    assert len(waits) == 2000
    assert all(0 <= wait <= 4.0 for wait in waits)
    # Spread over [0, 4]: every quarter holds a fair share (a fixed backoff would fill one).
    quarters = [sum(1 for wait in waits if q <= wait < q + 1) for q in range(4)]
    assert min(quarters) > 400
    assert backoff.ceiling(1) == 1.0
    assert backoff.ceiling(10_000) == 4.0  # no overflow for absurd attempt numbers
    assert backoff.plan(1, 10.0) is not None
    assert backoff.plan(1, 10.5) is None


def test_backoff_refuses_negative_durations() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        Backoff(base=-1)


# ---------------------------------------------------------------------- circuit breaker


def protocols(stub: StubLLMServer) -> list[str]:
    protocols = [request.protocol for request in stub.requests]
    stub.requests.clear()
    return protocols


def test_the_breaker_opens_skips_the_provider_then_a_probe_closes_it(
    stub: StubLLMServer, store: BreakerStore
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, failures=2, window=60, cooldown=30, clock=clock)
    telemetry = Telemetry()
    client, _ = client_for(
        stub, "openai", "ollama", max_retries=0, breaker=breaker, telemetry=telemetry
    )
    stub.default = StubReply(text="from ollama")
    # Two failures of openai within the window: the second opens its breaker.
    for _ in range(2):
        stub.script(StubReply.server_error(500))
        assert client.chat("x").provider == "ollama"
        clock.now += 10
    assert protocols(stub) == ["openai", "ollama", "openai", "ollama"]
    assert breaker.state("openai", "gpt-4o-mini") == "open"

    # Open: openai is not called at all; the answer says it came from a fallback, and why.
    with capture_logs() as logs:
        response = client.chat("x")
    assert (response.provider, response.fallback_from) == ("ollama", "openai")
    assert protocols(stub) == ["ollama"]
    skipped, answered = telemetry.records[-2:]
    assert isinstance(skipped[0], LLMCircuitOpenError)
    assert answered[1].fallback_reason == "circuit_open"
    route = next(event for event in logs if event["event"] == "llm_route")
    assert (route["provider"], route["reason"], route["retry_in_s"]) == (
        "openai",
        "circuit_open",
        20.0,
    )

    # After the cooldown one probe goes through; its success closes the breaker.
    clock.now += 20
    stub.script(StubReply(text="openai is back"))
    with capture_logs() as logs:
        assert client.chat("x").text == "openai is back"
    assert breaker.state("openai", "gpt-4o-mini") == "closed"
    states = [(e["state"], e["reason"]) for e in logs if e["event"] == "llm_breaker"]
    assert states == [("half_open", "probe"), ("closed", "probe_succeeded")]
    assert client.chat("x").provider == "openai"


def test_a_failed_probe_reopens_the_breaker_for_another_cooldown(
    stub: StubLLMServer, store: BreakerStore
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, failures=1, window=60, cooldown=30, clock=clock)
    client, _ = client_for(stub, "anthropic", "ollama", max_retries=2, breaker=breaker)
    stub.default = StubReply(text="from ollama")
    stub.script(StubReply.overloaded())
    # The failure that opens the breaker is not retried: a retry would be refused.
    assert client.chat("x").provider == "ollama"
    assert protocols(stub) == ["anthropic", "ollama"]
    clock.now += 30
    stub.script(StubReply.server_error(502))
    assert client.chat("x").provider == "ollama"
    assert protocols(stub) == ["anthropic", "ollama"]  # the probe, not retried
    assert breaker.state("anthropic", "claude-haiku-4-5") == "open"
    clock.now += 29
    assert client.chat("x").provider == "ollama"
    assert protocols(stub) == ["ollama"]


def test_every_provider_open_raises_circuit_open_with_the_wait(
    stub: StubLLMServer, store: BreakerStore
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, failures=1, window=60, cooldown=30, clock=clock)
    client, _ = client_for(stub, "openai", "anthropic", max_retries=0, breaker=breaker)
    stub.script(StubReply.server_error(500), StubReply.server_error(500))
    with pytest.raises(BadGatewayError):
        client.chat("x")
    clock.now += 12.5
    with pytest.raises(LLMCircuitOpenError) as caught:
        client.chat("x")
    assert isinstance(caught.value, ServiceUnavailableError)
    assert caught.value.details["retry_after"] == 18
    assert caught.value.details["providers_tried"] == [
        {"provider": "openai", "error": "LLM_CIRCUIT_OPEN"},
        {"provider": "anthropic", "error": "LLM_CIRCUIT_OPEN"},
    ]
    assert len(stub.requests) == 2


def test_failures_outside_the_window_do_not_add_up(
    stub: StubLLMServer, store: BreakerStore
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, failures=3, window=60, cooldown=30, clock=clock)
    client, _ = client_for(stub, "openai", "ollama", max_retries=0, breaker=breaker)
    stub.default = StubReply(text="from ollama")
    for _ in range(5):
        stub.script(StubReply.server_error(500))
        client.chat("x")
        clock.now += 31  # two failures at most in any 60 s
    assert breaker.state("openai", "gpt-4o-mini") == "closed"


def test_invalid_requests_and_refused_keys_do_not_count(
    stub: StubLLMServer, store: BreakerStore
) -> None:
    breaker = CircuitBreaker(store, failures=1, clock=Clock())
    client, _ = client_for(stub, "openai", "ollama", max_retries=0, breaker=breaker)
    stub.script(StubReply(status=401), StubReply(text="ok"))
    client.chat("x")
    assert breaker.state("openai", "gpt-4o-mini") == "closed"


def test_a_retry_after_beyond_max_retry_wait_cools_the_model_down_that_long(
    stub: StubLLMServer, store: BreakerStore
) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, failures=5, cooldown=30, clock=clock)
    client, sleeps = client_for(stub, "openai", "ollama", max_retry_wait=30, breaker=breaker)
    stub.default = StubReply(text="from ollama")
    stub.script(StubReply.rate_limited(retry_after=120))
    with capture_logs() as logs:
        assert client.chat("x").provider == "ollama"
    cooled = next(event for event in logs if event["event"] == "llm_breaker")
    assert (cooled["reason"], cooled["cooldown_s"], cooled["state"]) == (
        "retry_after",
        120.0,
        "open",
    )
    protocols(stub)
    clock.now += 119
    assert client.chat("x").provider == "ollama"
    assert protocols(stub) == ["ollama"]
    clock.now += 1
    stub.script(StubReply(text="openai"))
    assert client.chat("x").provider == "openai"
    assert sleeps == []


def test_a_half_open_breaker_lets_one_probe_through_until_it_reports(store: BreakerStore) -> None:
    clock = Clock()
    breaker = CircuitBreaker(store, failures=1, cooldown=30, probe_timeout=10, clock=clock)
    breaker.record_failure("openai", "gpt-4.1", ServiceUnavailableError())
    clock.now += 30
    first = breaker.allow("openai", "gpt-4.1")
    second = breaker.allow("openai", "gpt-4.1")
    assert (first.allowed, first.probe) == (True, True)
    assert (second.allowed, second.state, second.retry_in) == (False, "half_open", 10.0)
    # A probe that never reports back (its process died) frees the slot after probe_timeout.
    clock.now += 10
    assert breaker.allow("openai", "gpt-4.1").probe
    # Other models of the same provider are not affected.
    assert breaker.allow("openai", "gpt-4.1-mini").state == "closed"


def test_the_breaker_fails_open_when_its_store_is_down(stub: StubLLMServer) -> None:
    dead = RedisBreakerStore("redis://127.0.0.1:1/0", socket_timeout=0.05)
    breaker = CircuitBreaker(dead, failures=1, clock=Clock())
    client, _ = client_for(stub, "openai", max_retries=0, breaker=breaker)
    stub.script(StubReply.server_error(500), StubReply(text="ok"))
    with capture_logs() as logs:
        with pytest.raises(BadGatewayError):
            client.chat("x")
        assert client.chat("x").text == "ok"
    failed = [e for e in logs if e["event"] == "llm_breaker_store_failed"]
    assert {e["operation"] for e in failed} == {"acquire", "failure"}
    assert {e["result"] for e in failed} == {"fail_open"}


def test_breaker_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="failures"):
        CircuitBreaker(failures=0)
    with pytest.raises(ValueError, match="cooldown"):
        CircuitBreaker(cooldown=0)


# ---------------------------------------------------------------------- across processes


def _fail_openai_in_another_process(redis_url: str, base_url: str, now: float) -> None:
    from netrun.llm.adapters import OpenAIAdapter

    adapter = OpenAIAdapter(api_key="sk-test-other-process", base_url=base_url, timeout=5)
    breaker = CircuitBreaker(
        RedisBreakerStore(redis_url), failures=2, window=60, cooldown=30, clock=lambda: now
    )
    client = LLMClient([adapter], max_retries=0, breaker=breaker, sleep=lambda _: None)
    for _ in range(2):
        with pytest.raises(BadGatewayError):
            client.chat("x")


def test_the_breaker_state_is_shared_by_processes_through_redis(
    stub: StubLLMServer, redis_url: str
) -> None:
    clock = Clock()
    stub.script(StubReply.server_error(500), StubReply.server_error(500))
    other = multiprocessing.get_context("spawn").Process(
        target=_fail_openai_in_another_process,
        args=(redis_url, stub.openai_base_url, clock.now),
    )
    other.start()
    other.join(60)
    assert other.exitcode == 0
    assert protocols(stub) == ["openai", "openai"]

    # This process never saw openai fail, and still does not call it.
    store = RedisBreakerStore(redis_url)
    breaker = CircuitBreaker(store, failures=2, window=60, cooldown=30, clock=clock)
    client, _ = client_for(stub, "openai", "ollama", max_retries=0, breaker=breaker)
    stub.default = StubReply(text="from ollama")
    assert client.chat("x").provider == "ollama"
    assert protocols(stub) == ["ollama"]
    clock.now += 30
    stub.script(StubReply(text="openai"))
    assert client.chat("x").provider == "openai"
    assert breaker.state("openai", "gpt-4o-mini") == "closed"
    store.close()


def test_redis_breaker_keys_share_one_hash_slot(redis_url: str) -> None:
    import redis

    store = RedisBreakerStore(redis_url)
    breaker = CircuitBreaker(store, failures=3, clock=Clock())
    breaker.record_failure("openai", "gpt-4.1", ServiceUnavailableError())
    client = redis.Redis.from_url(redis_url)
    keys = sorted(key.decode() for key in client.keys("netrun:llm:cb:*"))
    assert keys == ["netrun:llm:cb:{openai:gpt-4.1}:f"]
    breaker.record_failure("openai", "gpt-4.1", ServiceUnavailableError())
    breaker.record_failure("openai", "gpt-4.1", ServiceUnavailableError())
    keys = sorted(key.decode() for key in client.keys("netrun:llm:cb:*"))
    assert keys == ["netrun:llm:cb:{openai:gpt-4.1}"]  # open: the failures are dropped
    assert 0 < client.pttl(keys[0]) <= 3_600_000
    # Redis Cluster runs a script only on keys of one slot: both keys carry one hash tag.
    base = "netrun:llm:cb:{openai:gpt-4.1}"
    assert key_slot(base.encode()) == key_slot(f"{base}:f".encode())
    client.close()
    store.close()


# ---------------------------------------------------------------------- context window


@pytest.mark.parametrize("provider", ["openai", "anthropic", "azure_openai"])
def test_a_prompt_too_long_is_retried_once_on_the_larger_context_model(
    stub: StubLLMServer, provider: str
) -> None:
    small = build(provider, stub).model
    telemetry = Telemetry()
    client, sleeps = client_for(
        stub, provider, context_fallbacks={small: "big-context-model"}, telemetry=telemetry
    )
    stub.script(StubReply.context_window_exceeded(), StubReply(text="read it all"))
    with capture_logs() as logs:
        response = client.chat("a very long prompt")
    assert (response.text, response.provider) == ("read it all", provider)
    if provider != "azure_openai":  # Azure names its deployment, not the model, in the URL
        assert [r.body["model"] for r in stub.requests] == [small, "big-context-model"]
    assert sleeps == []
    failed, answered = telemetry.records
    assert isinstance(failed[0], ValidationError)
    assert (answered[1].model, answered[1].fallback_reason) == (
        "big-context-model",
        "context_window",
    )
    route = next(event for event in logs if event["event"] == "llm_route")
    assert (route["reason"], route["from_model"], route["model"]) == (
        "context_window",
        small,
        "big-context-model",
    )


def test_the_larger_model_may_be_on_another_provider_of_the_chain(stub: StubLLMServer) -> None:
    client, _ = client_for(
        stub, "anthropic", "openai", context_fallbacks={"claude-haiku-4-5": "openai/gpt-4.1"}
    )
    stub.script(StubReply.context_window_exceeded(), StubReply(text="ok"))
    response = client.chat("x")
    assert (response.provider, response.model) == ("openai", "gpt-4.1")
    assert [r.protocol for r in stub.requests] == ["anthropic", "openai"]


def test_a_stream_whose_prompt_is_too_long_falls_back_before_its_first_token(
    stub: StubLLMServer,
) -> None:
    client, _ = client_for(stub, "openai", context_fallbacks={"gpt-4o-mini": "gpt-4.1"})
    stub.script(StubReply.context_window_exceeded(), StubReply(text="streamed whole"))
    with client.stream("x") as stream:
        assert "".join(chunk.text for chunk in stream) == "streamed whole"
    assert stream.response is not None
    assert stream.response.model == "gpt-4.1"


def test_without_a_fallback_or_once_it_is_used_the_400_is_raised(stub: StubLLMServer) -> None:
    client, _ = client_for(stub, "openai", "anthropic")
    stub.script(StubReply.context_window_exceeded())
    with pytest.raises(ValidationError):
        client.chat("x")
    assert len(protocols(stub)) == 1  # another provider would not take it either
    # A cycle of fallbacks is followed once per model, never forever.
    client, _ = client_for(
        stub, "openai", context_fallbacks={"gpt-4o-mini": "gpt-4.1", "gpt-4.1": "gpt-4o-mini"}
    )
    stub.script(*[StubReply.context_window_exceeded() for _ in range(3)])
    with pytest.raises(ValidationError):
        client.chat("x")
    assert len(protocols(stub)) == 2


def test_another_invalid_request_is_not_a_context_window_error(stub: StubLLMServer) -> None:
    client, _ = client_for(stub, "openai", context_fallbacks={"gpt-4o-mini": "gpt-4.1"})
    stub.script(StubReply(status=400, error_message="temperature must be <= 2"))
    with pytest.raises(ValidationError):
        client.chat("x")
    assert len(stub.requests) == 1


# ---------------------------------------------------------------------- aliases and groups


def test_a_routing_group_tries_its_models_in_order_across_providers(stub: StubLLMServer) -> None:
    client, _ = client_for(
        stub,
        "openai",
        "anthropic",
        max_retries=0,
        model_aliases={
            "fast": ["gpt-4.1-mini", "claude-haiku-4-5"],
            "smart": "anthropic/claude-sonnet-4-5",
        },
    )
    stub.script(StubReply.server_error(500), StubReply(text="haiku"))
    with capture_logs() as logs:
        response = client.chat("x", model="fast")
    assert (response.provider, response.model, response.fallback_from) == (
        "anthropic",
        "claude-haiku-4-5",
        "openai",
    )
    assert [(r.protocol, r.body["model"]) for r in stub.requests] == [
        ("openai", "gpt-4.1-mini"),
        ("anthropic", "claude-haiku-4-5"),
    ]
    routed = next(e for e in logs if e["event"] == "llm_route" and e["decision"] == "routed")
    assert routed["candidates"] == ["openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5"]
    stub.requests.clear()
    assert client.chat("x", model="smart").model == "claude-sonnet-4-5"
    assert [r.protocol for r in stub.requests] == ["anthropic"]


def test_a_group_skips_an_entry_whose_provider_is_not_in_the_chain(stub: StubLLMServer) -> None:
    client, _ = client_for(
        stub, "anthropic", model_aliases={"fast": ["gpt-4.1-mini", "claude-haiku-4-5"]}
    )
    assert client.chat("x", model="fast").provider == "anthropic"
    assert [r.protocol for r in stub.requests] == ["anthropic"]


@pytest.mark.django_db
def test_from_config_builds_breaker_fallbacks_and_aliases_from_the_settings(
    stub: StubLLMServer, redis_url: str
) -> None:
    # The Django app's alias source is read at each call: no admin alias here.
    invalidate_aliases()
    config = LLMConfig(
        provider_chain="openai,ollama",
        openai_api_key="sk-test",
        openai_base_url=stub.openai_base_url,
        ollama_base_url=stub.ollama_base_url,
        max_retries=0,
        breaker_store=redis_url,
        breaker_failures=1,
        context_fallbacks={"gpt-4.1-mini": "gpt-4.1"},
        model_aliases={"fast": ["gpt-4.1-mini"]},
    )
    first = LLMClient.from_config(config)
    stub.script(StubReply.context_window_exceeded(), StubReply(text="wide"))
    assert first.chat("x", model="fast").model == "gpt-4.1"
    stub.script(StubReply.server_error(500), StubReply(text="from ollama"))
    assert first.chat("x").provider == "ollama"
    # A second client of the same settings shares the breaker: openai is skipped.
    second = LLMClient.from_config(config)
    assert second.breaker is not None
    assert second.breaker.store is first.breaker.store  # type: ignore[union-attr]
    stub.requests.clear()
    assert second.chat("x").provider == "ollama"
    assert [r.protocol for r in stub.requests] == ["ollama"]
    assert LLMClient.from_config(config.model_copy(update={"breaker_store": "off"})).breaker is None
