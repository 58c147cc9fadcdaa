"""``tags=`` on the client's calls: the feature tags the enforcer and telemetry see.

``chat``, ``achat``, ``embed`` and ``aembed`` bind the tags around the call; a stream binds
them whenever it works (reserving, reading, settling, closing), for its whole life, and not
in the consumer's code between chunks. The enforcer and the telemetry here implement the
protocols and note :func:`~netrun.llm.attribution.current_attribution` when they are called.
Against the loopback stub.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from netrun.llm import LLMClient
from netrun.llm.attribution import current_attribution, current_tags, llm_tags
from netrun.llm.protocols import AsyncPolicyEnforcerProtocol, LLMTelemetry
from netrun.llm.testing import StubLLMServer, StubReply
from netrun.llm.types import AttemptInfo, LLMResponse, Usage
from tests.llm.adapters.conftest import build

TAGS = ("support", "ticket-summary")


@dataclass
class Reservation:
    seen: list[tuple[str, tuple[str, ...]]]

    def settle(self, usage: Usage) -> None:
        self.seen.append(("settle", current_attribution().tags))

    def release(self) -> None:
        self.seen.append(("release", current_attribution().tags))


@dataclass
class Enforcer:
    """Admits every attempt; notes the tags in force at each reserve, settle and release."""

    fallback_to_local: bool = False
    seen: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def reserve(self, **_: object) -> Reservation:
        self.seen.append(("reserve", current_attribution().tags))
        return Reservation(self.seen)

    async def areserve(self, **_: object) -> Reservation:
        self.seen.append(("areserve", current_attribution().tags))
        return Reservation(self.seen)


@dataclass
class Telemetry:
    seen: list[tuple[str, ...]] = field(default_factory=list)

    def record(self, outcome: LLMResponse | BaseException, attempt: AttemptInfo) -> None:
        self.seen.append(current_attribution().tags)


@pytest.fixture
def parts(stub: StubLLMServer) -> tuple[LLMClient, Enforcer, Telemetry]:
    enforcer, telemetry = Enforcer(), Telemetry()
    assert isinstance(enforcer, AsyncPolicyEnforcerProtocol)
    assert isinstance(telemetry, LLMTelemetry)
    client = LLMClient([build("openai", stub)], enforcer=enforcer, telemetry=telemetry)
    stub.default = StubReply(text="one two three")
    return client, enforcer, telemetry


def test_a_call_s_tags_are_seen_by_the_enforcer_and_telemetry(
    parts: tuple[LLMClient, Enforcer, Telemetry],
) -> None:
    client, enforcer, telemetry = parts
    with llm_tags("support"):
        client.chat("x", tags=["ticket-summary"])
        assert current_tags() == ("support",)  # the call's tag was bound for the call only
    client.embed(["a", "b"], tags=TAGS)
    assert enforcer.seen == [("reserve", TAGS), ("settle", TAGS)] * 2
    assert telemetry.seen == [TAGS, TAGS]
    assert current_tags() == ()


def test_a_stream_s_tags_hold_for_its_whole_life_and_not_in_the_consumer_s_code(
    parts: tuple[LLMClient, Enforcer, Telemetry],
) -> None:
    client, enforcer, telemetry = parts
    stream = client.stream("x", tags=TAGS)  # read later, outside any tag block
    between: list[tuple[str, ...]] = []
    with stream:
        for _ in stream:
            between.append(current_tags())
    assert between
    assert set(between) == {()}
    # One closed early is settled under its tags too.
    with client.stream("x", tags=TAGS) as early:
        next(early)
    assert enforcer.seen == [("reserve", TAGS), ("settle", TAGS)] * 2
    assert telemetry.seen == [TAGS, TAGS]


@pytest.mark.asyncio
async def test_the_async_calls_and_streams_bind_their_tags(
    parts: tuple[LLMClient, Enforcer, Telemetry],
) -> None:
    client, enforcer, telemetry = parts
    await client.achat("x", tags=TAGS)
    await client.aembed(["a"], tags=TAGS)
    stream = client.astream("x", tags=TAGS)
    async with stream:
        seen = [current_tags() async for _ in stream]
    assert seen
    assert set(seen) == {()}
    async with client.astream("x", tags="support") as early:
        await anext(early)
    assert enforcer.seen == [("areserve", TAGS), ("settle", TAGS)] * 3 + [
        ("areserve", ("support",)),
        ("settle", ("support",)),
    ]
    assert telemetry.seen == [TAGS, TAGS, TAGS, ("support",)]


def test_an_invalid_tag_is_refused_before_anything_is_sent(
    parts: tuple[LLMClient, Enforcer, Telemetry], stub: StubLLMServer
) -> None:
    client, enforcer, _ = parts
    with pytest.raises(ValueError, match="invalid LLM feature tag"):
        client.chat("x", tags=["Not A Tag"])
    with pytest.raises(ValueError, match="invalid LLM feature tag"):
        client.stream("x", tags=["Not A Tag"])
    assert enforcer.seen == []
    assert stub.requests == []
