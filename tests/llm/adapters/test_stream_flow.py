"""The one stream-accounting flow, driven from sync and async code, ends the same either way.

The provider streams come from the loopback stub; the few endings a server cannot cause
(a ``KeyboardInterrupt`` inside a read) come from an offline adapter that raises it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import pytest

from netrun.errors import NetrunException
from netrun.llm.adapters import LLMStreamInterruptedError, OfflineAdapter
from netrun.llm.adapters._flow import (
    CANCEL,
    AsyncFlowIterator,
    Emit,
    FlowIterator,
    Step,
    emit_texts,
)
from netrun.llm.adapters.base import ProviderCall, StreamState
from netrun.llm.testing import StubLLMServer
from netrun.llm.types import FINISH_CANCELLED, FINISH_INTERRUPTED, LLMResponse
from tests.llm.adapters.conftest import AdapterFactory, build


def _consume_sync(stream: Any, count: int | None) -> list[str]:
    texts: list[str] = []
    with stream:
        for chunk in stream:
            texts.append(chunk.text)
            if len(texts) == count:
                break
    return texts


async def _consume_async(stream: Any, count: int | None) -> list[str]:
    texts: list[str] = []
    async with stream:
        async for chunk in stream:
            texts.append(chunk.text)
            if len(texts) == count:
                break
    return texts


def _ending(make: AdapterFactory, asynchronous: bool, count: int | None) -> LLMResponse:
    """Read ``count`` chunks (all: ``None``) of a stream, with the sync or the async driver,
    and what ``on_complete`` was given."""
    completed: list[LLMResponse] = []
    adapter = make()
    if asynchronous:
        stream = adapter.astream("x", on_complete=completed.append)
        texts = asyncio.run(_consume_async(stream, count))
    else:
        stream = adapter.stream("x", on_complete=completed.append)
        texts = _consume_sync(stream, count)
    assert completed == [stream.response]  # exactly once, the stream's own response
    assert completed[0].text == "".join(texts)
    return completed[0]


@pytest.mark.parametrize("count", [None, 2])
def test_sync_and_async_drivers_end_a_stream_alike(
    stub: StubLLMServer, make: AdapterFactory, count: int | None
) -> None:
    stub.script(*[stub.default] * 2)
    sync = _ending(make, asynchronous=False, count=count)
    asynchronous = _ending(make, asynchronous=True, count=count)
    fields = ("text", "complete", "finish_reason", "usage", "provider", "model")
    assert [getattr(sync, name) for name in fields] == [
        getattr(asynchronous, name) for name in fields
    ]
    assert sync.complete is (count is None)
    if count is not None:
        assert sync.finish_reason == FINISH_CANCELLED


def test_a_stream_closed_before_its_first_chunk_sends_nothing_and_bills_the_prompt(
    stub: StubLLMServer,
) -> None:
    completed: list[LLMResponse] = []
    stream = build("openai", stub).stream("a prompt", on_complete=completed.append)
    stream.close()
    assert stub.requests == []  # the request goes out with the first next()
    assert [r.finish_reason for r in completed] == [FINISH_CANCELLED]
    assert completed[0].text == ""
    assert completed[0].usage.input_tokens > 0
    assert completed[0].usage.estimated is True
    with pytest.raises(StopIteration):
        next(stream)


def test_an_async_stream_cut_short_is_interrupted_like_a_sync_one(stub: StubLLMServer) -> None:
    stub.reply("alpha beta", cut_after=2)
    completed: list[LLMResponse] = []

    async def consume() -> list[str]:
        stream = build("openai", stub).astream("x", on_complete=completed.append)
        return [chunk.text async for chunk in stream]

    with pytest.raises(LLMStreamInterruptedError) as caught:
        asyncio.run(consume())
    assert caught.value.response is not None
    assert completed == [caught.value.response]
    assert caught.value.response.finish_reason == FINISH_INTERRUPTED
    assert caught.value.response.text == "alpha beta"


def test_a_cancelled_task_bills_what_its_stream_had_read(stub: StubLLMServer) -> None:
    # The CancelledError leaves the read pending; ``async with`` then winds the stream up.
    stub.reply("w1 w2 w3 w4 w5 w6", chunk_delay=0.2)
    completed: list[LLMResponse] = []
    first = asyncio.Event()

    async def consume() -> None:
        async with build("openai", stub).astream("x", on_complete=completed.append) as stream:
            async for _chunk in stream:
                first.set()

    async def main() -> None:
        task = asyncio.create_task(consume())
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert len(completed) == 1
    assert completed[0].finish_reason == FINISH_CANCELLED
    assert completed[0].text.startswith("w1 ")
    assert completed[0].complete is False


def test_closing_a_stream_from_its_own_on_complete_is_a_no_op(stub: StubLLMServer) -> None:
    calls: list[LLMResponse] = []
    stream = build("openai", stub).stream(
        "x", on_complete=lambda r: (calls.append(r), stream.close())
    )
    assert "".join(chunk.text for chunk in stream) == "Hello from the stub."
    assert [r.complete for r in calls] == [True]


class _Interrupted(OfflineAdapter):
    """Offline answers whose stream raises ``KeyboardInterrupt`` after its second piece."""

    def _stream_deltas(self, call: ProviderCall, state: StreamState) -> Generator[str, None, None]:
        pieces = super()._stream_deltas(call, state)
        yield next(pieces)
        yield next(pieces)
        raise KeyboardInterrupt


def test_a_base_exception_inside_a_read_leaves_the_stream_to_close_and_bill() -> None:
    completed: list[LLMResponse] = []
    stream = _Interrupted().stream("x", on_complete=completed.append)
    read = [next(stream).text, next(stream).text]
    with pytest.raises(KeyboardInterrupt):
        next(stream)
    assert completed == []  # not ended: the interrupt is not the provider's failure
    stream.close()
    assert [r.finish_reason for r in completed] == [FINISH_CANCELLED]
    assert completed[0].text == "".join(read)


def test_an_error_that_is_no_provider_failure_surfaces_as_it_is(stub: StubLLMServer) -> None:
    class Broken(OfflineAdapter):
        def _stream_deltas(
            self, call: ProviderCall, state: StreamState
        ) -> Generator[str, None, None]:
            yield "a "
            raise ZeroDivisionError  # a bug: map_error knows nothing of it

    completed: list[LLMResponse] = []
    stream = Broken().stream("x", on_complete=completed.append)
    next(stream)
    with pytest.raises(ZeroDivisionError):
        next(stream)
    assert completed == []
    with pytest.raises(StopIteration):
        next(stream)  # ended all the same


# ---------------------------------------------------------------------- the flow drivers


class _Events:
    """An iterator and async iterator of events that records being closed."""

    def __init__(self, *events: object) -> None:
        self.events = list(events)
        self.closed = 0

    def __next__(self) -> object:
        if not self.events:
            raise StopIteration
        event = self.events.pop(0)
        if isinstance(event, Exception):
            raise event
        return event

    async def __anext__(self) -> object:
        try:
            return self.__next__()
        except StopIteration:
            raise StopAsyncIteration from None

    def close(self) -> None:
        self.closed += 1


def _upper(event: object) -> str:
    return str(event).upper()


async def _all(iterator: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in iterator]


def test_emit_texts_skips_empty_texts_and_closes_its_source_at_the_end() -> None:
    for asynchronous in (False, True):
        events = _Events("a", "", "b")
        flow = emit_texts(events, _upper)
        texts = (
            asyncio.run(_all(AsyncFlowIterator(flow))) if asynchronous else list(FlowIterator(flow))
        )
        assert texts == ["A", "B"]
        assert events.closed == 1


def test_emit_texts_closes_its_source_when_cancelled_or_broken() -> None:
    cancelled = _Events("a", "b", "c")
    iterator = FlowIterator(emit_texts(cancelled, _upper))
    assert next(iterator) == "A"
    iterator.close()
    assert (cancelled.closed, cancelled.events) == (1, ["b", "c"])  # nothing read ahead

    broken = _Events("a", NetrunException("gone"))
    iterator = FlowIterator(emit_texts(broken, _upper))
    assert next(iterator) == "A"
    with pytest.raises(NetrunException, match="gone"):
        next(iterator)
    assert broken.closed == 1


def test_a_flow_never_started_is_closed_without_running() -> None:
    ran: list[str] = []

    def flow() -> Iterator[Step | Emit]:
        ran.append("started")
        yield Emit("x")

    FlowIterator(flow()).close()  # type: ignore[arg-type]
    asyncio.run(AsyncFlowIterator(flow()).aclose())  # type: ignore[arg-type]
    assert ran == []


def test_the_consumer_s_cancel_reaches_the_flow() -> None:
    answers: list[object] = []

    def flow() -> Iterator[Step | Emit]:
        answers.append((yield Emit(1)))
        answers.append((yield Emit(2)))

    iterator = FlowIterator(flow())  # type: ignore[arg-type]
    assert next(iterator) == 1
    iterator.close()
    assert answers == [CANCEL]
