"""One flow, two drivers: logic with I/O written once and run from sync or async code.

A flow is a generator that yields an :class:`Effect` for each piece of I/O it needs and gets
the result sent back, or the exception thrown in, as httpx drives one ``auth_flow`` generator
from ``sync_auth_flow`` and ``async_auth_flow``. :meth:`Effect.perform` does the I/O with a
plain call, :meth:`Effect.aperform` awaits its async twin; :class:`Flow` steps a generator
for either driver, and :func:`drive` / :func:`adrive` run one to its end. Anything else a
flow yields (a chunk, a value to emit) is its driver's to hand on.

Two families of effects use it: the adapters' (:mod:`netrun.llm.adapters._flow`: read a
source, close it, wait for an SDK call), whose flows are thrown only ``Exception`` (a
``KeyboardInterrupt`` or a cancellation leaves the driver, the flow waits where it was), and
the chain's (:mod:`netrun.llm.chain._flow`: reserve, ask, breaker, settle), whose flows are
thrown every error so they settle their holds first. Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Generic, TypeVar

__all__ = ["Effect", "Flow", "adrive", "drive"]

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


class Effect:
    """One piece of I/O a flow asks for: ``perform()`` in sync code, ``aperform()`` in async."""

    __slots__ = ()

    def perform(self) -> Any:
        raise NotImplementedError

    async def aperform(self) -> Any:
        raise NotImplementedError


class Flow(Generic[_Item, _Result]):
    """A flow stepped by a driver: each step sends the last effect's result in, or throws its
    exception (the flow winds up, then raises it or carries on).

    ``catches``: the errors of an effect thrown into the flow; any other leaves the driver
    and the flow waits at that effect.
    """

    result: _Result

    def __init__(
        self,
        steps: Generator[_Item, Any, _Result],
        *,
        catches: type[BaseException] = BaseException,
    ) -> None:
        self._steps = steps
        self._catches = catches
        self._sent: Any = None
        self._thrown: BaseException | None = None

    def next(self) -> _Item | None:
        """What the flow yields next (an effect, or a value for its driver); ``None`` once
        it returned (:attr:`result`)."""
        sent, thrown = self._sent, self._thrown
        self._sent = self._thrown = None
        try:
            return self._steps.send(sent) if thrown is None else self._steps.throw(thrown)
        except StopIteration as stop:
            self.result = stop.value
            return None

    def send(self, value: Any) -> None:
        """Hand ``value`` to the flow at its next step (a consumer's command)."""
        self._sent = value

    def throw(self, error: BaseException) -> None:
        """Hand ``error`` to the flow at its next step (a consumer that closed the stream)."""
        self._thrown = error

    def perform(self, effect: Effect) -> None:
        try:
            self._sent = effect.perform()
        except self._catches as error:
            self._thrown = error

    async def aperform(self, effect: Effect) -> None:
        try:
            self._sent = await effect.aperform()
        except self._catches as error:
            self._thrown = error


def drive(steps: Generator[Effect, Any, _Result]) -> _Result:
    """Run a flow to its end in sync code; what it returns."""
    flow = Flow(steps)
    while (effect := flow.next()) is not None:
        flow.perform(effect)
    return flow.result


async def adrive(steps: Generator[Effect, Any, _Result]) -> _Result:
    """Run a flow to its end in async code; cancellation is thrown in like any error."""
    flow = Flow(steps)
    while (effect := flow.next()) is not None:
        await flow.aperform(effect)
    return flow.result
