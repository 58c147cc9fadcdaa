"""The client's streams: :class:`ClientStream` and its async twin :class:`AsyncClientStream`.

One flow (``_steps``) holds what a stream through the chain does: reserve,
open the provider's stream, fall back while nothing was delivered, hand each chunk on, and
settle what was consumed however the stream ends. Each twin is a thin driver around it that
performs the flow's I/O in its own way (:mod:`netrun.llm.chain._flow`). Framework-neutral.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping
from typing import TYPE_CHECKING, Any

from netrun.core.blocks import AsyncClosing, Closing
from netrun.errors import NetrunException
from netrun.llm.adapters import LLMStreamInterruptedError
from netrun.llm.chain._flow import (
    Close,
    Effect,
    Flow,
    Open,
    Read,
    Settle,
    admitted,
    answered,
    reserved,
    retried,
    routed,
    tagged,
)
from netrun.llm.types import LLMResponse, StreamChunk, Usage

if TYPE_CHECKING:
    from netrun.llm.chain._run import _ChainRun

__all__ = ["AsyncClientStream", "ClientStream"]


def _usage_of(response: LLMResponse | None) -> Usage | None:
    """What a (possibly unfinished) stream is billed: its usage, or nothing to release."""
    return response.usage if response else None


class _Outcome:
    """How a stream ended, as its flow tells it: the response, once there is one."""

    __slots__ = ("response",)

    def __init__(self) -> None:
        self.response: LLMResponse | None = None

    def succeeded(
        self, response: LLMResponse | None, run: _ChainRun
    ) -> Generator[Effect, Any, None]:
        if response is not None:
            self.response = yield from answered(run, response)


def _steps(
    run: _ChainRun, options: Mapping[str, Any], outcome: _Outcome
) -> Generator[Effect | StreamChunk, Any, None]:
    """A stream through the chain: its I/O as effects, its chunks as they come."""
    yield from routed(run)
    while (candidate := (yield from admitted(run))) is not None:
        reservation = yield from reserved(run, candidate)
        if reservation is None:
            continue
        limit = run.output_limit(candidate)
        try:
            stream = yield Open(
                candidate.adapter,
                (run.messages,),
                dict(model=candidate.model, max_tokens=limit, **options),
            )
        except NetrunException as error:
            # Nothing was sent: release the hold at once, then fall back.
            yield Settle(reservation, None)
            yield from retried(run, error)
            continue
        except BaseException:
            yield Settle(reservation, None)
            raise
        try:
            chunk = yield Read(stream)
        except NetrunException as error:
            # Nothing was delivered: bill what the provider reported, then fall back.
            yield Settle(reservation, _usage_of(stream.response))
            yield from retried(run, error)
            continue
        except BaseException:
            yield Close(stream)
            yield Settle(reservation, None)
            raise
        try:
            while chunk is not None:
                yield chunk
                chunk = yield Read(stream)
        except LLMStreamInterruptedError as error:
            outcome.response = error.response
            yield Settle(reservation, _usage_of(error.response))
            run.client._record(error, run.info())
            raise
        except BaseException:
            # The consumer closed the stream (or dropped it), or was cancelled while
            # waiting: bill what it consumed.
            yield Close(stream)
            yield Settle(reservation, _usage_of(stream.response))
            yield from outcome.succeeded(stream.response, run)
            raise
        # The answer is complete (it may have had no text at all).
        yield Settle(reservation, _usage_of(stream.response))
        yield from outcome.succeeded(stream.response, run)
        return
    raise run.exhausted()


def _chunks(
    flow: Flow[Effect | StreamChunk, None], tags: tuple[str, ...]
) -> Generator[StreamChunk, None, None]:
    """The sync driver: each effect performed with a plain call, each chunk handed on; the
    stream's ``tags`` are bound while the flow works, not while the consumer holds a chunk."""
    while True:
        with tagged(tags):
            item = flow.next()
            while isinstance(item, Effect):
                flow.perform(item)
                item = flow.next()
        if item is None:
            return
        try:
            yield item
        except GeneratorExit as closed:
            flow.throw(closed)  # the flow bills what was consumed, then re-raises it


#: The flows of the async streams being read. A stream dropped unread is closed later, by the
#: event loop's async generator hook; its flow must outlive the garbage collection that found
#: the stream (a plain generator collected with it would be closed at once, with no I/O).
_READING: set[Flow[Effect | StreamChunk, None]] = set()


async def _achunks(
    flow: Flow[Effect | StreamChunk, None], tags: tuple[str, ...]
) -> AsyncGenerator[StreamChunk, None]:
    """The async driver: an async generator, so one dropped unread is closed by the event
    loop and billed like one closed."""
    _READING.add(flow)
    try:
        while True:
            with tagged(tags):
                item = flow.next()
                while isinstance(item, Effect):
                    await flow.aperform(item)
                    item = flow.next()
            if item is None:
                return
            try:
                yield item
            except GeneratorExit as closed:
                flow.throw(closed)
    finally:
        _READING.discard(flow)


class _ChainStream:
    """What the two client stream twins share: the flow through the chain and its outcome.

    Neither the flow nor a driver refers to the stream object: a stream dropped unread is
    freed at once, its driver first, which closes the flow and bills what was consumed.
    """

    def __init__(self, run: _ChainRun, options: Mapping[str, Any]) -> None:
        self._outcome = _Outcome()
        self._flow = Flow(_steps(run, options, self._outcome))

    @property
    def response(self) -> LLMResponse | None:
        """The response once the stream ended (complete, cut or closed), else ``None``."""
        return self._outcome.response

    @property
    def text(self) -> str:
        return self.response.text if self.response else ""


class ClientStream(Closing, _ChainStream):
    """A streamed answer through the chain: iterate for :class:`StreamChunk` deltas.

    Nothing is sent until the first chunk is asked for. :attr:`response` is set when the
    stream ends: complete, cut mid-answer (``LLMStreamInterruptedError`` is raised) or closed
    early by the consumer (``close()``, ``with``, or dropping it), each billed what was
    consumed.
    """

    def __init__(
        self, run: _ChainRun, options: Mapping[str, Any], *, tags: tuple[str, ...] = ()
    ) -> None:
        super().__init__(run, options)
        self._gen = _chunks(self._flow, tags)

    def __iter__(self) -> ClientStream:
        return self

    def __next__(self) -> StreamChunk:
        return next(self._gen)

    def close(self) -> None:
        """Stop reading; the provider stream is closed and what was consumed is billed."""
        self._gen.close()

    def __del__(self) -> None:
        gen = getattr(self, "_gen", None)
        if gen is not None:
            gen.close()


class AsyncClientStream(AsyncClosing, _ChainStream):
    """The async twin of :class:`ClientStream`: ``async for``, ``aclose()``, ``async with``."""

    def __init__(
        self, run: _ChainRun, options: Mapping[str, Any], *, tags: tuple[str, ...] = ()
    ) -> None:
        super().__init__(run, options)
        self._gen = _achunks(self._flow, tags)

    def __aiter__(self) -> AsyncClientStream:
        return self

    async def __anext__(self) -> StreamChunk:
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        await self._gen.aclose()
