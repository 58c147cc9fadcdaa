"""One flow, two drivers: stream logic written once and run from sync and async code.

A *flow* is a generator that decides what happens next and yields it, as httpx's auth flows
do. It yields a :class:`Step` for I/O (read the next item of a source, close it, call a
callback, wait for a client call) and an :class:`Emit` for a value to hand out; the driver
performs each step and sends its result back (or throws its exception in), and the next
``next()`` / ``close()`` of the consumer is sent in at an :class:`Emit` as :data:`NEXT` or
:data:`CANCEL`. :class:`FlowIterator` drives a flow from sync code, :class:`AsyncFlowIterator`
from async code; only they know whether I/O is awaited. A :class:`Step` is an
:class:`~netrun.llm._flow.Effect`, stepped by the mechanism the chain's flows use too
(:mod:`netrun.llm._flow`); this module holds the adapters' steps and drivers.

A client call is made inside the flow (``yield wait(client.create(...))``): a sync client
returns the answer, which the sync driver sends straight back; an async client returns an
awaitable, which the async driver awaits. A ``BaseException`` that is not an ``Exception``
(``KeyboardInterrupt``, ``asyncio.CancelledError``) is never thrown into a flow: it leaves
the driver and the flow waits where it was, so a later ``close()`` still winds it up.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from netrun.core.blocks import AsyncClosing, Closing
from netrun.llm._flow import Effect
from netrun.llm._flow import Flow as _Stepper

__all__ = [
    "CANCEL",
    "END",
    "NEXT",
    "AsyncFlowIterator",
    "Driver",
    "Emit",
    "Flow",
    "FlowIterator",
    "Signal",
    "Step",
    "aadvance",
    "advance",
    "arun",
    "call",
    "close",
    "emit_texts",
    "lines",
    "pull",
    "read",
    "run",
    "wait",
]


class Signal:
    """A marker sent into a flow: :data:`END` of a source, :data:`CANCEL` by the consumer."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: What :func:`pull` gives when the source has no more items.
END: Final = Signal("END")
#: What a flow gets at an :class:`Emit` (or a pending :func:`pull`) when the consumer stops.
CANCEL: Final = Signal("CANCEL")
#: What a flow gets at an :class:`Emit` when the consumer wants the next value.
NEXT: Final = None


@dataclass(frozen=True)
class Step(Effect):
    """One piece of I/O for the driver: ``action`` names a method of both drivers' toolkits."""

    action: str
    args: tuple[Any, ...]

    def perform(self) -> Any:
        return getattr(_SyncIO, self.action)(*self.args)

    async def aperform(self) -> Any:
        result = getattr(_AsyncIO, self.action)(*self.args)
        return await result if inspect.isawaitable(result) else result


@dataclass(frozen=True)
class Emit:
    """A value the driver hands to the consumer."""

    value: Any


@dataclass(frozen=True)
class _Done:
    value: Any


_T = TypeVar("_T")

#: A flow that ends by returning a ``_T`` (``Flow[Any]`` for one that only emits).
Flow = Generator[Step | Emit, Any, _T]


def pull(source: Any) -> Step:
    """The next item of an iterator (async iterator), :data:`END` once it is exhausted."""
    return Step("pull", (source,))


def close(resource: Any) -> Step:
    """Close ``resource`` (``aclose()`` or an awaited ``close()`` in async code)."""
    return Step("close", (resource,))


def call(function: Callable[..., object], *args: Any) -> Step:
    """Call ``function``; in async code its result is awaited when it is awaitable."""
    return Step("call", (function, *args))


def wait(result: Any) -> Step:
    """What a client call gave: the answer itself (sync), an awaitable of it (async)."""
    return Step("wait", (result,))


def read(response: Any) -> Step:
    """Read the body of an httpx response opened as a stream."""
    return Step("read", (response,))


def lines(response: Any) -> Step:
    """The lines of an httpx response opened as a stream, as an iterator to :func:`pull`."""
    return Step("lines", (response,))


class _SyncIO:
    @staticmethod
    def pull(source: Any) -> Any:
        try:
            return next(source)
        except StopIteration:
            return END

    @staticmethod
    def close(resource: Any) -> None:
        closing = getattr(resource, "close", None)
        if closing is not None:
            closing()

    @staticmethod
    def call(function: Callable[..., object], *args: Any) -> object:
        return function(*args)

    @staticmethod
    def wait(result: Any) -> Any:
        return result

    @staticmethod
    def read(response: Any) -> object:
        return response.read()

    @staticmethod
    def lines(response: Any) -> Any:
        return response.iter_lines()


class _AsyncIO:
    @staticmethod
    async def pull(source: Any) -> Any:
        try:
            return await source.__anext__()
        except StopAsyncIteration:
            return END

    @staticmethod
    async def close(resource: Any) -> None:
        closing = getattr(resource, "aclose", None) or getattr(resource, "close", None)
        result = closing() if closing is not None else None
        if inspect.isawaitable(result):
            await result

    @staticmethod
    async def call(function: Callable[..., object], *args: Any) -> object:
        result = function(*args)
        return await result if inspect.isawaitable(result) else result

    @staticmethod
    async def wait(result: Any) -> Any:
        return await result

    @staticmethod
    async def read(response: Any) -> object:
        return await response.aread()

    @staticmethod
    def lines(response: Any) -> Any:
        return response.aiter_lines()


def _stepped(flow: Flow[Any], command: Signal | None) -> _Stepper[Step | Emit, Any]:
    """``flow`` stepped from where it waits, ``command`` sent in first; only an ``Exception``
    of a step is thrown into it."""
    stepper: _Stepper[Step | Emit, Any] = _Stepper(flow, catches=Exception)
    stepper.send(command)
    return stepper


def _outcome(stepper: _Stepper[Step | Emit, Any], item: Step | Emit | None) -> Emit | _Done:
    return _Done(stepper.result) if item is None else item  # type: ignore[return-value]


def advance(flow: Flow[Any], command: Signal | None) -> Emit | _Done:
    """Run ``flow`` from sync code until it emits or ends."""
    stepper = _stepped(flow, command)
    while isinstance(item := stepper.next(), Step):
        stepper.perform(item)
    return _outcome(stepper, item)


async def aadvance(flow: Flow[Any], command: Signal | None) -> Emit | _Done:
    """Run ``flow`` from async code until it emits or ends."""
    stepper = _stepped(flow, command)
    while isinstance(item := stepper.next(), Step):
        await stepper.aperform(item)
    return _outcome(stepper, item)


def run(flow: Flow[_T]) -> _T:
    """Run a flow that emits nothing from sync code; what it returns."""
    result: _T = _returned(advance(flow, NEXT))
    return result


async def arun(flow: Flow[_T]) -> _T:
    """The async twin of :func:`run`."""
    result: _T = _returned(await aadvance(flow, NEXT))
    return result


def _returned(result: Emit | _Done) -> Any:
    if isinstance(result, Emit):
        raise RuntimeError("a flow run for its result emitted a value")
    return result.value


class Driver:
    """What both drivers share: the flow, whether it ended, closing one never started."""

    def __init__(self, flow: Flow[Any]) -> None:
        self._flow = flow

    def _ended(self) -> bool:
        return inspect.getgeneratorstate(self._flow) == inspect.GEN_CLOSED

    def _unstarted(self) -> bool:
        """A flow never started has nothing to wind up: it is closed where it stands."""
        if inspect.getgeneratorstate(self._flow) != inspect.GEN_CREATED:
            return False
        self._flow.close()
        return True


class FlowIterator(Closing, Driver):
    """Iterate a flow from sync code: ``next()`` gives what it emits, ``close()`` cancels it."""

    def __iter__(self) -> FlowIterator:
        return self

    def __next__(self) -> Any:
        result = _Done(None) if self._ended() else advance(self._flow, NEXT)
        if isinstance(result, _Done):
            raise StopIteration
        return result.value

    def close(self) -> None:
        if not (self._ended() or self._unstarted()):
            advance(self._flow, CANCEL)


class AsyncFlowIterator(AsyncClosing, Driver):
    """The async twin of :class:`FlowIterator`: ``async for``, ``aclose()``."""

    def __aiter__(self) -> AsyncFlowIterator:
        return self

    async def __anext__(self) -> Any:
        result = _Done(None) if self._ended() else await aadvance(self._flow, NEXT)
        if isinstance(result, _Done):
            raise StopAsyncIteration
        return result.value

    async def aclose(self) -> None:
        if not (self._ended() or self._unstarted()):
            await aadvance(self._flow, CANCEL)


def emit_texts(events: Any, read_event: Callable[[Any], str], resource: Any = None) -> Flow[None]:
    """Pull ``events`` and emit the text ``read_event`` makes of each (skipping ``""``) until
    they end or the consumer cancels; then close ``resource`` (default: ``events``), after
    an error too."""
    failure: Exception | None = None
    try:
        while not isinstance(event := (yield pull(events)), Signal):
            text = read_event(event)
            if text and (yield Emit(text)) is CANCEL:
                break
    except Exception as exc:
        failure = exc
    yield close(events if resource is None else resource)
    if failure is not None:
        raise failure
