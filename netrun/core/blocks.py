"""Bases for objects used in ``with`` and ``async with`` blocks.

* :class:`Closing`: ``with obj:`` closes ``obj`` when the block ends (what
  :func:`contextlib.closing` does for one block, as a base class): streams, pools, servers.
  :class:`AsyncClosing` is its twin: ``async with obj:`` awaits ``obj.aclose()``.
* :class:`AsyncWithSupport`: a context manager whose enter and exit do no I/O (they set
  context variables) works in ``async with`` too, through the same two methods.

Framework-neutral.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["AsyncClosing", "AsyncWithSupport", "Closing"]

_T = TypeVar("_T")
_Self = TypeVar("_Self", bound="Closing")
_AsyncSelf = TypeVar("_AsyncSelf", bound="AsyncClosing")


class Closing:
    """``with obj:`` gives ``obj`` and calls ``obj.close()`` when the block ends, also on error.

    A subclass that must start something on entry (open a pool) overrides ``__enter__`` and
    returns ``super().__enter__()``.
    """

    __slots__ = ()

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClosing:
    """``async with obj:`` gives ``obj`` and awaits ``obj.aclose()`` when the block ends."""

    __slots__ = ()

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self: _AsyncSelf) -> _AsyncSelf:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class AsyncWithSupport:
    """``async with obj`` runs ``obj.__enter__`` and ``obj.__exit__``: for blocks without I/O."""

    __slots__ = ()

    async def __aenter__(self: AbstractContextManager[_T]) -> _T:
        return self.__enter__()

    async def __aexit__(
        self: AbstractContextManager[Any],
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
