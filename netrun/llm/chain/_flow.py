"""The attempts through the chain, written once and driven from sync or async code.

A flow is a generator that yields an :class:`Effect` for each piece of I/O it needs
(reserve, ask the provider, read a chunk, settle, sleep ...) and gets the result sent back,
or the exception thrown in. The decisions around the I/O (:class:`~._run._ChainRun`) and
the settling of every hold are therefore written once; :func:`drive` performs the effects
with plain calls and :func:`adrive` awaits their async twins, the way httpx drives one
``auth_flow`` generator from ``sync_auth_flow`` and ``async_auth_flow``. A stream's flow
also yields its chunks (:mod:`netrun.llm.chain.streams`). The mechanism (:class:`Effect`,
:class:`Flow`, the drivers) is :mod:`netrun.llm._flow`, shared with the adapters' flows; this
module holds the chain's effects and flows. Framework-neutral.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netrun.errors import NetrunException
from netrun.llm._flow import Effect, Flow, adrive, drive
from netrun.llm.attribution import llm_tags
from netrun.llm.chain._run import _NO_RESERVATION, _Answer, _Candidate, _ChainRun, logger
from netrun.llm.types import AttemptInfo, LLMResponse, Usage

if TYPE_CHECKING:
    from netrun.llm.adapters import AsyncChatStream, BaseLLMAdapter, ChatStream
    from netrun.llm.chain.client import LLMClient
    from netrun.llm.protocols import LLMTelemetry, ReservationProtocol
    from netrun.llm.resilience.breaker import Admission, CircuitBreaker
    from netrun.llm.resilience.routing import AliasTable

__all__ = [
    "Ask",
    "Close",
    "Effect",
    "Flow",
    "Open",
    "Read",
    "Settle",
    "admitted",
    "adrive",
    "answered",
    "asettle",
    "attempts",
    "drive",
    "record_attempt",
    "reserved",
    "retried",
    "routed",
    "settle",
    "tagged",
]


def tagged(tags: Iterable[str] | str) -> AbstractContextManager[object]:
    """The feature tags of one call (``tags=``), bound around it with
    :func:`~netrun.llm.attribution.llm_tags` (over any bound outside); nothing when none."""
    if isinstance(tags, str):
        tags = (tags,)
    tags = tuple(tags)
    return llm_tags(*tags) if tags else nullcontext()


def settle(reservation: ReservationProtocol, usage: Any) -> None:
    """Settle ``reservation`` at ``usage``, or release it when there is none; a failure is
    logged, not raised: the answer exists and was paid for, and an unsettled hold expires."""
    try:
        if usage is None:
            reservation.release()
        else:
            reservation.settle(usage)
    except Exception as error:
        logger.error("llm_settle_failed", error_type=type(error).__name__)


async def asettle(reservation: ReservationProtocol, usage: Any) -> None:
    """The async twin of :func:`settle`, for a reservation with ``asettle``/``arelease``."""
    method = getattr(reservation, "arelease" if usage is None else "asettle", None)
    if method is None:
        settle(reservation, usage)
        return
    try:
        await (method() if usage is None else method(usage))
    except Exception as error:
        logger.error("llm_settle_failed", error_type=type(error).__name__)


def record_attempt(
    telemetry: LLMTelemetry | None, outcome: LLMResponse | BaseException, info: AttemptInfo
) -> None:
    """Tell ``telemetry`` how one attempt went; a failing sink is logged, not raised."""
    if telemetry is None:
        return
    try:
        telemetry.record(outcome, info)
    except Exception as error:
        # Telemetry must never turn an answer into a failure.
        logger.warning("llm_telemetry_failed", error_type=type(error).__name__)


# --------------------------------------------------------------------------- the effects


@dataclass(frozen=True)
class _Reserve(Effect):
    """The enforcer's hold for an attempt (``reserve``, else ``areserve`` when it has one)."""

    run: _ChainRun
    candidate: _Candidate

    def perform(self) -> ReservationProtocol:
        enforcer = self.run.client.enforcer
        if enforcer is None:
            return _NO_RESERVATION
        return enforcer.reserve(**self.run.reservation(self.candidate))

    async def aperform(self) -> ReservationProtocol:
        areserve = getattr(self.run.client.enforcer, "areserve", None)
        if areserve is None:
            return self.perform()
        reservation: ReservationProtocol = await areserve(**self.run.reservation(self.candidate))
        return reservation


@dataclass(frozen=True)
class Settle(Effect):
    """Settle a hold at what was used, or release it (``usage`` ``None``)."""

    reservation: ReservationProtocol
    usage: Usage | None

    def perform(self) -> None:
        settle(self.reservation, self.usage)

    async def aperform(self) -> None:
        await asettle(self.reservation, self.usage)


@dataclass(frozen=True)
class _Breaker(Effect):
    """One call to the circuit breaker: ``breaker.<operation>(...)`` in sync code, its async
    twin ``a<operation>`` awaited in async code (the Redis breaker's async store)."""

    breaker: CircuitBreaker
    operation: str
    args: tuple[Any, ...]

    def perform(self) -> Any:
        return getattr(self.breaker, self.operation)(*self.args)

    async def aperform(self) -> Any:
        return await getattr(self.breaker, "a" + self.operation)(*self.args)


@dataclass(frozen=True)
class _Aliases(Effect):
    """The alias table a call routes by: the client's ``alias_source()``, or its
    ``async_alias_source()`` awaited (it may read a database)."""

    client: LLMClient

    def perform(self) -> AliasTable:
        source = self.client.alias_source
        assert source is not None
        return source()

    async def aperform(self) -> AliasTable:
        asource = self.client.async_alias_source
        if asource is None:
            return self.perform()
        return await asource()


@dataclass(frozen=True)
class _Sleep(Effect):
    """Wait before a retry, with the client's injectable sleeps."""

    run: _ChainRun
    seconds: float

    def perform(self) -> None:
        self.run.client._sleep(self.seconds)

    async def aperform(self) -> None:
        await self.run.client._async_sleep(self.seconds)


@dataclass(frozen=True)
class Ask(Effect):
    """A whole answer from an adapter: ``adapter.<method>(...)``, or ``a<method>`` awaited."""

    adapter: BaseLLMAdapter
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def perform(self) -> Any:
        return getattr(self.adapter, self.method)(*self.args, **self.kwargs)

    async def aperform(self) -> Any:
        return await getattr(self.adapter, "a" + self.method)(*self.args, **self.kwargs)


@dataclass(frozen=True)
class Open(Effect):
    """An adapter's stream, not started: ``adapter.stream(...)`` or ``adapter.astream(...)``."""

    adapter: BaseLLMAdapter
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def perform(self) -> ChatStream:
        return self.adapter.stream(*self.args, **self.kwargs)

    async def aperform(self) -> AsyncChatStream:
        return self.adapter.astream(*self.args, **self.kwargs)


@dataclass(frozen=True)
class Read(Effect):
    """The next chunk of an adapter's stream, ``None`` at its end."""

    stream: Any

    def perform(self) -> Any:
        return next(self.stream, None)

    async def aperform(self) -> Any:
        return await anext(self.stream, None)


@dataclass(frozen=True)
class Close(Effect):
    """Close an adapter's stream: it settles its account of what was consumed."""

    stream: Any

    def perform(self) -> None:
        self.stream.close()

    async def aperform(self) -> None:
        await self.stream.aclose()


# --------------------------------------------------------------------------- the flows


def routed(run: _ChainRun) -> Generator[Effect, Any, None]:
    """Route a call whose model may be an alias by the client's alias source, read once."""
    if run.alias is not None:
        aliases = yield _Aliases(run.client)
        run.route(run.client._candidates(None, run.alias, aliases))


def admitted(run: _ChainRun) -> Generator[Effect, Any, _Candidate | None]:
    """The next attempt ``run`` makes whose circuit breaker lets it through; ``None`` when
    no candidate is left."""
    while (candidate := run.advance()) is not None:
        breaker = run.client.breaker
        admission: Admission | None = None
        if breaker is not None:
            admission = yield _Breaker(
                breaker, "allow", (candidate.adapter.provider, candidate.model)
            )
        if run.admitted(candidate, admission):
            return candidate
    return None


def answered(run: _ChainRun, response: _Answer) -> Generator[Effect, Any, _Answer]:
    """Tell the breaker the attempt answered (a probe closes it), then ``run``."""
    breaker, current = run.client.breaker, run.current
    if breaker is not None and current is not None and run.admission is not None:
        yield _Breaker(
            breaker, "record_success", (current.adapter.provider, current.model, run.admission)
        )
    return run.succeeded(response)


def reserved(
    run: _ChainRun, candidate: _Candidate
) -> Generator[Effect, Any, ReservationProtocol | None]:
    """The hold for an attempt on ``candidate``; ``None`` when the enforcer refused it (and
    ``run`` chose what follows: another provider, the local model, or raising)."""
    try:
        reservation: ReservationProtocol = yield _Reserve(run, candidate)
    except NetrunException as error:
        run.refused(error)
        return None
    return reservation


def retried(run: _ChainRun, error: NetrunException) -> Generator[Effect, Any, None]:
    """Tell the breaker and ``run`` the attempt failed (``run`` raises when nothing should
    follow) and wait what it asks before a retry."""
    breaker, current = run.client.breaker, run.current
    opened = False
    if breaker is not None and current is not None:
        target = (current.adapter.provider, current.model)
        pause = run.cools_down(error)
        if pause is not None:
            yield _Breaker(breaker, "cool_down", (*target, pause))
            opened = True
        else:
            transition = yield _Breaker(breaker, "record_failure", (*target, error))
            opened = transition.state == "open"
    wait = run.failed(error, opened=opened)
    if wait is not None:
        yield _Sleep(run, wait)


def attempts(run: _ChainRun, ask: Callable[[_Candidate], Ask]) -> Generator[Effect, Any, Any]:
    """Each candidate in turn: reserve, ask, settle (release on failure), retry or fall back
    as ``run`` decides; the first answer, or the chain's error."""
    yield from routed(run)
    while (candidate := (yield from admitted(run))) is not None:
        reservation = yield from reserved(run, candidate)
        if reservation is None:
            continue
        try:
            response = yield ask(candidate)
        except NetrunException as error:
            yield Settle(reservation, None)
            yield from retried(run, error)
            continue
        except BaseException:
            # Cancelled, interrupted: the hold is released before the error goes on.
            yield Settle(reservation, None)
            raise
        yield Settle(reservation, response.usage)
        return (yield from answered(run, response))
    raise run.exhausted()
