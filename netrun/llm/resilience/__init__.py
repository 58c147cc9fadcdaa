"""Calls that survive a bad provider: backoff with full jitter, circuit breakers, cooldowns,
context-window fallbacks and model aliases / routing groups.

:class:`~netrun.llm.client.LLMClient` consults these at each attempt; each decision is a
key=value log event (``llm_retry``, ``llm_breaker``, ``llm_route``...) and, when it changes the
provider, the ``fallback_reason`` telemetry records. Framework-neutral: no Django import.
"""

from __future__ import annotations

from netrun.llm.resilience.backoff import Backoff, RetryPlan
from netrun.llm.resilience.breaker import (
    Admission,
    AsyncBreakerStore,
    BreakerState,
    BreakerStore,
    CircuitBreaker,
    LLMCircuitOpenError,
    MemoryBreakerStore,
    Transition,
)
from netrun.llm.resilience.redis_store import AsyncRedisBreakerStore, RedisBreakerStore

__all__ = [
    "Admission",
    "AsyncBreakerStore",
    "AsyncRedisBreakerStore",
    "Backoff",
    "BreakerState",
    "BreakerStore",
    "CircuitBreaker",
    "LLMCircuitOpenError",
    "MemoryBreakerStore",
    "RedisBreakerStore",
    "RetryPlan",
    "Transition",
]
