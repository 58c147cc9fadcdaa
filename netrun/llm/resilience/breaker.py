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
Redis. Both run the same state machine (one under a lock, one as one Lua script). The async
methods (``aallow``, ``arecord_success``, ``arecord_failure``, ``acool_down``, ``astate``) use
the breaker's ``async_store`` (:class:`~netrun.llm.resilience.redis_store.AsyncRedisBreakerStore`:
the same keys and script, so it shares the sync store's state) and, without one, call the sync
store directly (right for the memory store, which does no I/O). Each operation is written
once, as a generator that yields the store call it needs; :meth:`CircuitBreaker._run` and
:meth:`CircuitBreaker._arun` drive it (as httpx's ``Auth.auth_flow``). Times are
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

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from netrun.errors import NetrunException, ServiceUnavailableError
from netrun.llm.adapters.errors import is_retryable
from netrun.llm.resilience.store import (
    Admission,
    AsyncBreakerStore,
    BreakerState,
    BreakerStore,
    MemoryBreakerStore,
    Transition,
)
from netrun.logging import get_logger

# The store's names are imported from here too (their home before 2.1).
__all__ = [
    "Admission",
    "AsyncBreakerStore",
    "BreakerState",
    "BreakerStore",
    "CircuitBreaker",
    "LLMCircuitOpenError",
    "MemoryBreakerStore",
    "Transition",
]

logger = get_logger(__name__)


class LLMCircuitOpenError(ServiceUnavailableError):
    """Every provider that could answer is behind an open circuit breaker."""

    error_code = "LLM_CIRCUIT_OPEN"
    default_message = "The LLM provider is failing; calls to it are paused for a while."


def breaker_key(provider: str, model: str) -> str:
    return f"{provider}:{model}"


@dataclass(frozen=True)
class _StoreCall:
    """The one store operation a breaker's flow asks its driver to run, and what the flow
    returns if the store fails (``_RAISE``: the error propagates)."""

    operation: str
    key: str
    arguments: dict[str, Any]
    fail_open: Any


_RAISE = object()
_T = TypeVar("_T")
_Flow = Generator[_StoreCall, Any, _T]
_UNCOUNTED = Transition("closed", "closed")


class CircuitBreaker:
    """Breakers keyed by (provider, model) over a shared ``store``.

    ``failures`` counted failures within ``window`` seconds open a breaker for ``cooldown``
    seconds; then one probe call is let through (another after ``probe_timeout`` seconds if
    it never reports back). ``clock`` returns wall-clock seconds (injectable for tests).
    ``async_store`` serves the ``a``-prefixed methods; it must keep the very state ``store``
    keeps (the Redis stores of one url and prefix do), and without it those methods call
    ``store`` directly.
    """

    def __init__(
        self,
        store: BreakerStore | None = None,
        *,
        async_store: AsyncBreakerStore | None = None,
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
        if async_store is not None and store is None:
            raise ValueError("async_store needs the store whose state it shares")
        self.store: BreakerStore = store if store is not None else MemoryBreakerStore()
        self.async_store = async_store
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

    # ------------------------------------------------------------------ sync and async API

    def allow(self, provider: str, model: str) -> Admission:
        """Whether a call may go to ``provider`` / ``model`` now (logs a probe and a refusal)."""
        return self._run(self._allow(provider, model))

    async def aallow(self, provider: str, model: str) -> Admission:
        """:meth:`allow` on the async store."""
        return await self._arun(self._allow(provider, model))

    def record_success(self, provider: str, model: str, admission: Admission) -> None:
        """Close a half-open breaker after its probe answered (closed breakers: no I/O)."""
        self._run(self._success(provider, model, admission))

    async def arecord_success(self, provider: str, model: str, admission: Admission) -> None:
        """:meth:`record_success` on the async store."""
        await self._arun(self._success(provider, model, admission))

    def record_failure(self, provider: str, model: str, error: NetrunException) -> Transition:
        """Count a transient failure; the transition says whether the breaker opened."""
        return self._run(self._failure(provider, model, error))

    async def arecord_failure(
        self, provider: str, model: str, error: NetrunException
    ) -> Transition:
        """:meth:`record_failure` on the async store."""
        return await self._arun(self._failure(provider, model, error))

    def cool_down(self, provider: str, model: str, seconds: float) -> None:
        """Pause ``provider`` / ``model`` for ``seconds`` (a provider's long ``Retry-After``)."""
        self._run(self._cool_down(provider, model, seconds))

    async def acool_down(self, provider: str, model: str, seconds: float) -> None:
        """:meth:`cool_down` on the async store."""
        await self._arun(self._cool_down(provider, model, seconds))

    def state(self, provider: str, model: str) -> BreakerState:
        return self._run(self._state(provider, model))

    async def astate(self, provider: str, model: str) -> BreakerState:
        return await self._arun(self._state(provider, model))

    # ------------------------------------------------------------------ the flows, written once

    def _call(
        self, operation: str, provider: str, model: str, fail_open: Any, **arguments: Any
    ) -> _StoreCall:
        arguments["now"] = self.clock()
        return _StoreCall(operation, breaker_key(provider, model), arguments, fail_open)

    def _allow(self, provider: str, model: str) -> _Flow[Admission]:
        admission: Admission = yield self._call(
            "acquire", provider, model, Admission(True, "closed"), probe_timeout=self.probe_timeout
        )
        if admission.probe:
            logger.info(
                "llm_breaker", provider=provider, model=model, state="half_open", reason="probe"
            )
        return admission

    def _success(self, provider: str, model: str, admission: Admission) -> _Flow[None]:
        if admission.state == "closed":
            return
        transition: Transition = yield self._call("success", provider, model, None)
        self._log(provider, model, transition, "probe_succeeded")

    def _failure(self, provider: str, model: str, error: NetrunException) -> _Flow[Transition]:
        if not self.counts(error):
            return _UNCOUNTED
        transition: Transition = yield self._call(
            "failure",
            provider,
            model,
            _UNCOUNTED,
            threshold=self.failures,
            window=self.window,
            cooldown=self.cooldown,
        )
        reason = "probe_failed" if transition.previous == "half_open" else "failures"
        self._log(provider, model, transition, reason, error_code=error.error_code)
        return transition

    def _cool_down(self, provider: str, model: str, seconds: float) -> _Flow[None]:
        transition: Transition = yield self._call(
            "cool_down", provider, model, None, seconds=seconds
        )
        self._log(provider, model, transition, "retry_after", cooldown_s=round(seconds, 3))

    def _state(self, provider: str, model: str) -> _Flow[BreakerState]:
        state: BreakerState = yield self._call("state", provider, model, _RAISE)
        return state

    # ------------------------------------------------------------------ the two drivers

    def _run(self, flow: _Flow[_T]) -> _T:
        """Drive ``flow`` on the sync store."""
        try:
            call = next(flow)
            try:
                result = getattr(self.store, call.operation)(call.key, **call.arguments)
            except Exception as error:
                return self._store_failed(call, error, self.store)  # type: ignore[no-any-return]
            flow.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        raise RuntimeError("a breaker flow makes one store call")

    async def _arun(self, flow: _Flow[_T]) -> _T:
        """Drive ``flow`` on the async store, or on the sync one when there is none (the
        memory store: no I/O to wait for)."""
        store: Any = self.store if self.async_store is None else self.async_store
        try:
            call = next(flow)
            try:
                result = getattr(store, call.operation)(call.key, **call.arguments)
                if self.async_store is not None:
                    result = await result
            except Exception as error:
                return self._store_failed(call, error, store)  # type: ignore[no-any-return]
            flow.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        raise RuntimeError("a breaker flow makes one store call")

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

    def _store_failed(self, call: _StoreCall, error: Exception, store: object) -> Any:
        """Fail open: the value the flow gives when its store is down (or raise ``error``)."""
        if call.fail_open is _RAISE:
            raise error
        logger.warning(
            "llm_breaker_store_failed",
            operation=call.operation,
            store=type(store).__name__,
            error_type=type(error).__name__,
            result="fail_open",
        )
        return call.fail_open
