"""The circuit breaker the settings describe, its store shared by every client of the process.

``NETRUN_LLM_BREAKER_STORE``: ``memory`` (one store per process), a ``redis://`` /
``rediss://`` / ``redis+cluster://`` URL (one store per URL, shared by every process that uses
that Redis), or ``off``. Clients built per request by ``LLMClient.from_config`` share the
store, so what one learns about a provider the next one knows. A Redis URL also gives the
breaker an :class:`~netrun.llm.resilience.redis_store.AsyncRedisBreakerStore` on the same keys,
for the async chain; the memory store serves both. Framework-neutral.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from netrun.llm.resilience.breaker import CircuitBreaker
from netrun.llm.resilience.store import AsyncBreakerStore, BreakerStore, MemoryBreakerStore

if TYPE_CHECKING:
    from netrun.llm.conf import LLMConfig

__all__ = [
    "breaker_from_config",
    "breaker_store_problem",
    "reset_breaker_stores",
    "shared_async_store",
    "shared_store",
]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
_OFF = frozenset({"off", "none", ""})
_stores: dict[str, BreakerStore] = {}
_async_stores: dict[str, AsyncBreakerStore] = {}
_lock = threading.Lock()


def breaker_store_problem(setting: str) -> str | None:
    """Why ``NETRUN_LLM_BREAKER_STORE`` names no store, or ``None`` when it does."""
    value = setting.strip()
    if value.lower() in _OFF or value.lower() == "memory" or value.startswith(_REDIS_SCHEMES):
        return None
    return (
        f"NETRUN_LLM_BREAKER_STORE is {setting!r}; use memory, a redis:// or "
        "redis+cluster:// URL, or off."
    )


def shared_store(setting: str) -> BreakerStore | None:
    """The process's store for ``setting`` (``None`` when breakers are off)."""
    value = setting.strip()
    if value.lower() in _OFF:
        return None
    problem = breaker_store_problem(value)
    if problem is not None:
        from netrun.errors import ConfigurationError

        raise ConfigurationError(problem, setting="NETRUN_LLM_BREAKER_STORE")
    with _lock:
        store = _stores.get(value)
        if store is None:
            if value.lower() == "memory":
                store = MemoryBreakerStore()
            else:
                from netrun.llm.resilience.redis_store import RedisBreakerStore

                store = RedisBreakerStore(value)
            _stores[value] = store
        return store


def shared_async_store(setting: str) -> AsyncBreakerStore | None:
    """The process's async store for ``setting``: for a Redis URL, an
    ``AsyncRedisBreakerStore`` on the keys of :func:`shared_store`'s; ``None`` otherwise (the
    memory store serves async callers directly, and ``off`` has no store)."""
    value = setting.strip()
    if shared_store(value) is None or value.lower() == "memory":
        return None
    with _lock:
        store = _async_stores.get(value)
        if store is None:
            from netrun.llm.resilience.redis_store import AsyncRedisBreakerStore

            store = _async_stores[value] = AsyncRedisBreakerStore(value)
        return store


def breaker_from_config(config: LLMConfig) -> CircuitBreaker | None:
    store = shared_store(config.breaker_store)
    if store is None:
        return None
    return CircuitBreaker(
        store,
        async_store=shared_async_store(config.breaker_store),
        failures=config.breaker_failures,
        window=config.breaker_window,
        cooldown=config.breaker_cooldown,
        probe_timeout=max(config.timeout, 1.0),
    )


def reset_breaker_stores() -> None:
    """Forget the process's stores (tests: no breaker state leaks from one test to the next)."""
    with _lock:
        for store in [*_stores.values(), *_async_stores.values()]:
            close = getattr(store, "close", None)
            if close is not None:
                close()
        _stores.clear()
        _async_stores.clear()
