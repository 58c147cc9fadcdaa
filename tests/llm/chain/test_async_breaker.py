"""The async chain asks the circuit breaker through its async store, never the sync one.

A Redis breaker has a sync store (blocking ``redis-py``) and an async one (``redis.asyncio``)
on the same keys. ``achat``, ``astream`` and ``aembed`` must await the breaker's ``a``-methods:
a blocking Redis call from the event loop would stall every other request of the process. The
stores here are the real ones, against the shared Redis (a database per test worker), each
noting which operations it served; the sync one also notes any call made from a running event
loop. The clock is injected.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from netrun.llm import LLMClient
from netrun.llm.resilience import AsyncRedisBreakerStore, CircuitBreaker, RedisBreakerStore
from netrun.llm.testing import StubLLMServer, StubReply
from netrun.logging.testing import capture_logs
from tests.llm.adapters.conftest import build

pytestmark = pytest.mark.redis

OPENAI = ("openai", "gpt-4o-mini")


class Clock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class SyncStore(RedisBreakerStore):
    """The real sync store, noting the operations it ran and those run from an event loop."""

    def __init__(self, url: str) -> None:
        super().__init__(url, socket_timeout=5)
        self.operations: list[str] = []
        self.from_loop: list[str] = []

    def _call(self, key: str, op: str, now: float, *args: object) -> Any:
        self.operations.append(op)
        if _in_event_loop():
            self.from_loop.append(op)
        return super()._call(key, op, now, *args)


class AsyncStore(AsyncRedisBreakerStore):
    """The real async store, noting the operations it ran."""

    def __init__(self, url: str) -> None:
        super().__init__(url, socket_timeout=5)
        self.operations: list[str] = []

    async def _call(self, key: str, op: str, now: float, *args: object) -> Any:
        self.operations.append(op)
        return await super()._call(key, op, now, *args)


@pytest.fixture
def stores(redis_url: str) -> Iterator[tuple[SyncStore, AsyncStore]]:
    sync_store, async_store = SyncStore(redis_url), AsyncStore(redis_url)
    yield sync_store, async_store
    sync_store.close()
    async_store.close()


def protocols(stub: StubLLMServer) -> list[str]:
    protocols = [str(request.protocol) for request in stub.requests]
    stub.requests.clear()
    return protocols


@pytest.mark.asyncio
async def test_the_async_chain_awaits_the_async_store_and_shares_the_state_with_a_sync_client(
    stub: StubLLMServer, stores: tuple[SyncStore, AsyncStore], redis_url: str
) -> None:
    sync_store, async_store = stores
    clock = Clock()
    breaker = CircuitBreaker(
        sync_store, async_store=async_store, failures=2, window=60, cooldown=30, clock=clock
    )
    chain = [build("openai", stub), build("ollama", stub)]
    async_client = LLMClient(chain, max_retries=0, max_retry_wait=30, breaker=breaker)
    # Another client, sync, as in another process: a breaker of its own on the same Redis,
    # called from a thread of its own (no event loop there).
    other_store = RedisBreakerStore(redis_url, socket_timeout=5)
    other = CircuitBreaker(other_store, failures=2, window=60, cooldown=30, clock=clock)
    sync_client = LLMClient(chain, max_retries=0, breaker=other, sleep=lambda _: None)

    def sync_chat() -> str:
        return sync_client.chat("x").provider

    def state() -> str:
        return other.state(*OPENAI)

    stub.default = StubReply(text="from ollama")
    with capture_logs() as logs:
        # Two failures counted from the event loop open openai's breaker ...
        for _ in range(2):
            stub.script(StubReply.server_error(500))
            assert (await async_client.achat("x")).provider == "ollama"
        assert protocols(stub) == ["openai", "ollama", "openai", "ollama"]
        # ... which the sync client sees: it does not call openai.
        assert await asyncio.to_thread(state) == "open"
        assert await asyncio.to_thread(sync_chat) == "ollama"
        assert protocols(stub) == ["ollama"]

        # After the cooldown an async stream is the probe; its success closes the breaker.
        clock.now += 30
        stub.script(StubReply(text="openai is back"))
        async with async_client.astream("x") as stream:
            assert "".join([chunk.text async for chunk in stream]) == "openai is back"
        assert await asyncio.to_thread(state) == "closed"

        # A Retry-After beyond max_retry_wait cools the model down, through the async store.
        stub.script(StubReply.rate_limited(retry_after=120))
        assert (await async_client.achat("x")).provider == "ollama"
        assert await asyncio.to_thread(state) == "open"
        clock.now += 119
        assert await asyncio.to_thread(sync_chat) == "ollama"

    assert sync_store.from_loop == []
    assert sync_store.operations == []  # only the async client used this breaker
    assert set(async_store.operations) == {"acquire", "failure", "success", "cool_down"}
    assert not [event for event in logs if event["event"] == "llm_breaker_store_failed"]
    other_store.close()
    await async_store.aclose()


def test_the_sync_chain_still_uses_the_sync_store(
    stub: StubLLMServer, stores: tuple[SyncStore, AsyncStore]
) -> None:
    sync_store, async_store = stores
    breaker = CircuitBreaker(sync_store, async_store=async_store, failures=1, clock=Clock())
    client = LLMClient(
        [build("openai", stub), build("ollama", stub)], max_retries=0, breaker=breaker
    )
    stub.default = StubReply(text="from ollama")
    stub.script(StubReply.server_error(500))
    assert client.chat("x").provider == "ollama"
    with client.stream("x") as stream:
        assert "".join(chunk.text for chunk in stream) == "from ollama"
    assert sync_store.operations == ["acquire", "failure", "acquire", "acquire", "acquire"]
    assert async_store.operations == []
