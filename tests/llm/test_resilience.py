"""Resilience of the chain: full-jitter retries that honour Retry-After, circuit breakers,
cooldowns, context-window fallbacks, aliases and routing groups.

End to end through ``LLMClient`` with the real SDKs against the loopback stub made to fail;
the clock, the sleeps and the jitter's random source are injected, never read from the wall.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from netrun.errors import BadGatewayError
from netrun.llm import LLMClient
from netrun.llm.resilience import Backoff
from netrun.llm.testing import StubLLMServer, StubReply
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
def stub() -> Any:
    with StubLLMServer(lifetime=60) as server:
        yield server


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
