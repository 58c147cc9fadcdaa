"""A circuit breaker per provider and model, with its state in memory or in Redis.

::

    closed --(N counted failures within `window` s)--> open
    open --(`cooldown` s later, the first caller)--> half_open: that caller is the probe
    half_open --(the probe succeeds)--> closed          (failures forgotten)
    half_open --(the probe fails)--> open               (another `cooldown`)
    half_open --(the probe vanished: `probe_timeout` s)--> the next caller probes
    any --(the provider asks for a Retry-After beyond max_retry_wait)--> open for that long

A counted failure is a transient one (429, 5xx, 529, timeout, unreachable): an invalid
request or a refused key says nothing about the provider's health. While a breaker is open
the chain skips that provider and model, as LiteLLM's router skips a deployment in cooldown.

The store keeps the state: :class:`MemoryBreakerStore` for one process,
:class:`~netrun.llm.resilience.redis_store.RedisBreakerStore` for every process that shares a
Redis. Both run the same state machine (one under a lock, one as one Lua script). Times are
wall-clock seconds from the breaker's ``clock`` (injectable; shared across hosts, so a clock
skew between hosts shifts a cooldown by that skew). When the store fails, the breaker lets the
call through (fails open) and logs ``llm_breaker_store_failed``: a breaker that cannot read
its state must not be the outage.

Written here rather than taken from ``pybreaker``: pybreaker counts consecutive failures (no
window), wraps the call (the chain needs "skip this provider", not an exception), keeps its
Redis state in several non-atomic commands, and has no cooldown driven by ``Retry-After``.
Framework-neutral: no Django import.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from netrun.errors import NetrunException, ServiceUnavailableError
from netrun.llm.adapters.errors import is_retryable
from netrun.logging import get_logger

__all__ = [
    "Admission",
    "BreakerState",
    "BreakerStore",
    "CircuitBreaker",
    "LLMCircuitOpenError",
    "MemoryBreakerStore",
    "Transition",
]

logger = get_logger(__name__)

BreakerState = Literal["closed", "open", "half_open"]


class LLMCircuitOpenError(ServiceUnavailableError):
    """Every provider that could answer is behind an open circuit breaker."""

    error_code = "LLM_CIRCUIT_OPEN"
    default_message = "The LLM provider is failing; calls to it are paused for a while."


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


def breaker_key(provider: str, model: str) -> str:
    return f"{provider}:{model}"


class CircuitBreaker:
    """Breakers keyed by (provider, model) over a shared ``store``.

    ``failures`` counted failures within ``window`` seconds open a breaker for ``cooldown``
    seconds; then one probe call is let through (another after ``probe_timeout`` seconds if
    it never reports back). ``clock`` returns wall-clock seconds (injectable for tests).
    """

    def __init__(
        self,
        store: BreakerStore | None = None,
        *,
        failures: int = 5,
        window: float = 60.0,
        cooldown: float = 30.0,
        probe_timeout: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if failures < 1:
            raise ValueError("failures must be >= 1")
        if window <= 0 or cooldown <= 0 or probe_timeout <= 0:
            raise ValueError("window, cooldown and probe_timeout must be > 0")
        self.store: BreakerStore = store if store is not None else MemoryBreakerStore()
        self.failures = failures
        self.window = window
        self.cooldown = cooldown
        self.probe_timeout = probe_timeout
        self.clock = clock

    def __repr__(self) -> str:
        return (
            f"<CircuitBreaker store={type(self.store).__name__} failures={self.failures} "
            f"window={self.window} cooldown={self.cooldown}>"
        )

    @staticmethod
    def counts(error: BaseException) -> bool:
        """Whether ``error`` says the provider is unhealthy (a transient failure)."""
        return is_retryable(error)

    def allow(self, provider: str, model: str) -> Admission:
        """Whether a call may go to ``provider`` / ``model`` now (logs a probe and a refusal)."""
        try:
            admission = self.store.acquire(
                breaker_key(provider, model), now=self.clock(), probe_timeout=self.probe_timeout
            )
        except Exception as error:
            self._store_failed(error, "acquire")
            return Admission(True, "closed")
        if admission.probe:
            logger.info(
                "llm_breaker", provider=provider, model=model, state="half_open", reason="probe"
            )
        return admission

    def record_success(self, provider: str, model: str, admission: Admission) -> None:
        """Close a half-open breaker after its probe answered (closed breakers: no I/O)."""
        if admission.state == "closed":
            return
        try:
            transition = self.store.success(breaker_key(provider, model), now=self.clock())
        except Exception as error:
            self._store_failed(error, "success")
            return
        self._log(provider, model, transition, "probe_succeeded")

    def record_failure(self, provider: str, model: str, error: NetrunException) -> Transition:
        """Count a transient failure; the transition says whether the breaker opened."""
        if not self.counts(error):
            return Transition("closed", "closed")
        try:
            transition = self.store.failure(
                breaker_key(provider, model),
                now=self.clock(),
                threshold=self.failures,
                window=self.window,
                cooldown=self.cooldown,
            )
        except Exception as failure:
            self._store_failed(failure, "failure")
            return Transition("closed", "closed")
        reason = "probe_failed" if transition.previous == "half_open" else "failures"
        self._log(provider, model, transition, reason, error_code=error.error_code)
        return transition

    def cool_down(self, provider: str, model: str, seconds: float) -> None:
        """Pause ``provider`` / ``model`` for ``seconds`` (a provider's long ``Retry-After``)."""
        try:
            transition = self.store.cool_down(
                breaker_key(provider, model), now=self.clock(), seconds=seconds
            )
        except Exception as error:
            self._store_failed(error, "cool_down")
            return
        self._log(provider, model, transition, "retry_after", cooldown_s=round(seconds, 3))

    def state(self, provider: str, model: str) -> BreakerState:
        return self.store.state(breaker_key(provider, model), now=self.clock())

    def _log(
        self, provider: str, model: str, transition: Transition, reason: str, **extra: object
    ) -> None:
        if transition.previous == transition.state and reason != "retry_after":
            return
        log = logger.warning if transition.state == "open" else logger.info
        log(
            "llm_breaker",
            provider=provider,
            model=model,
            previous=transition.previous,
            state=transition.state,
            reason=reason,
            failures=transition.failures,
            **extra,
        )

    def _store_failed(self, error: Exception, operation: str) -> None:
        logger.warning(
            "llm_breaker_store_failed",
            operation=operation,
            store=type(self.store).__name__,
            error_type=type(error).__name__,
            result="fail_open",
        )
