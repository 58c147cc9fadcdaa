"""What a circuit breaker's store is, and the one that keeps the state in this process.

A store runs the breaker's state machine (see :mod:`netrun.llm.resilience.breaker`) for one
key per call, atomically: :class:`MemoryBreakerStore` under a lock,
:class:`~netrun.llm.resilience.redis_store.RedisBreakerStore` and its async twin as one Lua
script. Framework-neutral: no Django import.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, Protocol

__all__ = [
    "Admission",
    "AsyncBreakerStore",
    "BreakerState",
    "BreakerStore",
    "MemoryBreakerStore",
    "Transition",
]

BreakerState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class Admission:
    """Whether a call may go to a provider and model now.

    ``probe`` is true for the one call a half-open breaker lets through; ``retry_in`` is how
    long a refused caller should wait before the breaker lets a probe through.
    """

    allowed: bool
    state: BreakerState
    probe: bool = False
    retry_in: float = 0.0


@dataclass(frozen=True)
class Transition:
    """A store's answer to a success, failure or cooldown: the state before and after."""

    previous: BreakerState
    state: BreakerState
    failures: int = 0


class BreakerStore(Protocol):
    """Where breakers keep their state; each method is atomic for one key."""

    def acquire(self, key: str, *, now: float, probe_timeout: float) -> Admission: ...

    def success(self, key: str, *, now: float) -> Transition: ...

    def failure(
        self, key: str, *, now: float, threshold: int, window: float, cooldown: float
    ) -> Transition: ...

    def cool_down(self, key: str, *, now: float, seconds: float) -> Transition: ...

    def state(self, key: str, *, now: float) -> BreakerState: ...

    def reset(self) -> None: ...


class AsyncBreakerStore(Protocol):
    """A :class:`BreakerStore` for an event loop: the same operations, awaited."""

    async def acquire(self, key: str, *, now: float, probe_timeout: float) -> Admission: ...

    async def success(self, key: str, *, now: float) -> Transition: ...

    async def failure(
        self, key: str, *, now: float, threshold: int, window: float, cooldown: float
    ) -> Transition: ...

    async def cool_down(self, key: str, *, now: float, seconds: float) -> Transition: ...

    async def state(self, key: str, *, now: float) -> BreakerState: ...

    async def reset(self) -> None: ...


@dataclass
class _Entry:
    state: BreakerState = "closed"
    until: float = 0.0
    lease: float = 0.0
    failures: deque[float] = field(default_factory=deque)


class MemoryBreakerStore:
    """The state of this process's breakers, under one lock."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, *, now: float, probe_timeout: float) -> Admission:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.state == "closed":
                return Admission(True, "closed")
            if entry.state == "open":
                if now < entry.until:
                    return Admission(False, "open", retry_in=entry.until - now)
                entry.state = "half_open"
            elif now < entry.lease:
                return Admission(False, "half_open", retry_in=entry.lease - now)
            entry.lease = now + probe_timeout
            return Admission(True, "half_open", probe=True)

    def success(self, key: str, *, now: float) -> Transition:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.state == "closed":
                return Transition("closed", "closed", len(entry.failures) if entry else 0)
            previous = entry.state
            del self._entries[key]
            return Transition(previous, "closed")

    def failure(
        self, key: str, *, now: float, threshold: int, window: float, cooldown: float
    ) -> Transition:
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            if entry.state == "open":
                return Transition("open", "open")  # a late failure of a call made before
            if entry.state == "half_open":
                self._open(entry, now + cooldown)
                return Transition("half_open", "open")
            entry.failures.append(now)
            while entry.failures and entry.failures[0] <= now - window:
                entry.failures.popleft()
            count = len(entry.failures)
            if count >= threshold:
                self._open(entry, now + cooldown)
                return Transition("closed", "open", count)
            return Transition("closed", "closed", count)

    def cool_down(self, key: str, *, now: float, seconds: float) -> Transition:
        with self._lock:
            entry = self._entries.setdefault(key, _Entry())
            previous = entry.state
            self._open(entry, max(now + seconds, entry.until if previous == "open" else 0.0))
            return Transition(previous, "open")

    def state(self, key: str, *, now: float) -> BreakerState:
        with self._lock:
            entry = self._entries.get(key)
            return "closed" if entry is None else entry.state

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    @staticmethod
    def _open(entry: _Entry, until: float) -> None:
        entry.state = "open"
        entry.until = until
        entry.lease = 0.0
        entry.failures.clear()
