"""Where revoked token IDs and refresh-token families are remembered until they expire.

A denylist stores *keys* (``jti:<id>``, ``fam:<id>``, ``used:<id>``) with a time to live:
an entry only needs to outlive the token it blocks. Three operations are all a
:class:`~netrun.auth.JWTManager` needs:

* :meth:`Denylist.deny` -- remember a key for ``ttl`` seconds;
* :meth:`Denylist.any_denied` -- is any of these keys remembered (one round trip for the
  token's ``jti`` and its family on every verification);
* :meth:`Denylist.claim` -- atomically remember a key *only if it is new*, and say whether it
  was: this is how a refresh token is spent exactly once, even when two requests race.

"Revoke every token of this user" stores a *value*: ``user:<sub>`` holds the epoch second
up to which the user's tokens are refused (:meth:`Denylist.store`), and verification reads it
in the same round trip as the ``jti`` and family (:meth:`Denylist.fetch`).

:class:`MemoryDenylist` is per process (tests, a single worker, scripts);
:class:`RedisDenylist` is shared by every worker. Under Django, ``netrun.auth.cache.CacheDenylist``
uses a Django cache (Redis in production).

When the store cannot be reached (Redis down, a timeout), every operation raises
:class:`~netrun.auth.AuthUnavailableError` (503), never the driver's own exception: the
:class:`~netrun.auth.JWTManager` then decides, per feature, whether to fail open or closed.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from netrun.auth.exceptions import AuthUnavailableError

__all__ = ["Denylist", "MemoryDenylist", "RedisDenylist"]


def _store_errors() -> tuple[type[BaseException], ...]:
    """What a store outage looks like: socket errors, and redis-py's own when installed."""
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - redis is a dependency of the [redis] extras
        return (OSError,)
    return (OSError, RedisError)


@contextmanager
def store_unavailable_guard() -> Iterator[None]:
    """Turn a store outage inside the block into :class:`AuthUnavailableError`."""
    try:
        yield
    except _store_errors() as error:
        raise AuthUnavailableError(details={"store_error": type(error).__name__}) from error


class Denylist(ABC):
    """The storage interface of token revocation."""

    @abstractmethod
    def deny(self, key: str, ttl: int) -> None:
        """Remember ``key`` for ``ttl`` seconds."""

    @abstractmethod
    def any_denied(self, keys: Sequence[str]) -> bool:
        """True when at least one of ``keys`` is remembered."""

    @abstractmethod
    def claim(self, key: str, ttl: int) -> bool:
        """Remember ``key`` if it is new and return True; return False if it was there."""

    def store(self, key: str, value: int, ttl: int) -> None:
        """Remember ``key`` with an integer ``value`` for ``ttl`` seconds (a user's cutoff)."""
        raise NotImplementedError(f"{type(self).__name__} cannot store values (revoke_user)")

    def fetch(self, keys: Sequence[str]) -> dict[str, int]:
        """The values of those ``keys`` that are remembered (``1`` for a plain denial).

        The default asks :meth:`any_denied` key by key; the stores below answer in one trip.
        """
        return {key: 1 for key in keys if self.any_denied([key])}


class MemoryDenylist(Denylist):
    """A dict with expiry times, guarded by a lock; one per process."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[str, float] = {}
        self._values: dict[str, int] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _live(self, key: str, now: float) -> bool:
        expires = self._entries.get(key)
        if expires is None:
            return False
        if expires <= now:
            del self._entries[key]
            self._values.pop(key, None)
            return False
        return True

    def deny(self, key: str, ttl: int) -> None:
        with self._lock:
            self._entries[key] = self._clock() + max(ttl, 1)

    def any_denied(self, keys: Sequence[str]) -> bool:
        with self._lock:
            now = self._clock()
            return any(self._live(key, now) for key in keys)

    def store(self, key: str, value: int, ttl: int) -> None:
        with self._lock:
            self._entries[key] = self._clock() + max(ttl, 1)
            self._values[key] = int(value)

    def fetch(self, keys: Sequence[str]) -> dict[str, int]:
        with self._lock:
            now = self._clock()
            return {key: self._values.get(key, 1) for key in keys if self._live(key, now)}

    def claim(self, key: str, ttl: int) -> bool:
        with self._lock:
            now = self._clock()
            if self._live(key, now):
                return False
            self._entries[key] = now + max(ttl, 1)
            self._values.pop(key, None)
            return True

    def __len__(self) -> int:
        with self._lock:
            now = self._clock()
            return sum(1 for key in list(self._entries) if self._live(key, now))


class RedisDenylist(Denylist):
    """Keys in Redis with ``EX``; ``claim`` is ``SET NX EX``, atomic across workers.

    Pass a redis-py client, or a URL (needs the ``redis`` package): ``redis://`` for one
    server, ``redis+cluster://`` for a Redis Cluster (:mod:`netrun.core.redis_url`). A client
    built from a URL bounds connecting and each command by ``socket_timeout`` seconds, so a
    Redis that stops answering is a 503 ``AUTH_UNAVAILABLE``, not a request that hangs. On a
    cluster, a token's keys live in different slots: they are read slot by slot.
    """

    def __init__(
        self,
        client: Any = None,
        *,
        url: str | None = None,
        prefix: str = "",
        socket_timeout: float = 1.0,
    ) -> None:
        if client is None:
            if url is None:
                raise ValueError("RedisDenylist needs a client or a url")
            from netrun.core.redis_url import redis_client

            client = redis_client(url, socket_timeout=socket_timeout)
        self._client = client
        self._prefix = prefix
        # RedisCluster refuses a multi-key MGET across slots; it splits EXISTS itself.
        self._mget = getattr(client, "mget_nonatomic", None) or client.mget

    def deny(self, key: str, ttl: int) -> None:
        with store_unavailable_guard():
            self._client.set(self._prefix + key, b"1", ex=max(ttl, 1))

    def any_denied(self, keys: Sequence[str]) -> bool:
        if not keys:
            return False
        with store_unavailable_guard():
            return int(self._client.exists(*(self._prefix + key for key in keys))) > 0

    def store(self, key: str, value: int, ttl: int) -> None:
        with store_unavailable_guard():
            self._client.set(self._prefix + key, str(int(value)).encode(), ex=max(ttl, 1))

    def fetch(self, keys: Sequence[str]) -> dict[str, int]:
        if not keys:
            return {}
        with store_unavailable_guard():
            values = self._mget([self._prefix + key for key in keys])
        return {
            key: int(value) for key, value in zip(keys, values, strict=True) if value is not None
        }

    def claim(self, key: str, ttl: int) -> bool:
        with store_unavailable_guard():
            return bool(self._client.set(self._prefix + key, b"1", ex=max(ttl, 1), nx=True))
