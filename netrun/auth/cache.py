"""A denylist in a Django cache: Redis (``django.core.cache.backends.redis.RedisCache``) in
production, so a revocation on one worker is seen by all of them.

``claim`` uses ``cache.add``, which is atomic on Redis and Memcached (``SET NX``); on the
local-memory cache it is atomic within one process only, which is all that cache shares.

A cache that cannot be reached raises :class:`~netrun.auth.AuthUnavailableError` (503), not
``redis.exceptions.ConnectionError``.

Django glue: the framework-neutral interface is :class:`netrun.auth.denylist.Denylist`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.cache import caches

from netrun.auth.denylist import Denylist, store_unavailable_guard

__all__ = ["CacheDenylist"]


class CacheDenylist(Denylist):
    """Denylist entries in the Django cache ``alias`` under ``prefix``."""

    def __init__(self, alias: str = "default", *, prefix: str = "netrun:auth:") -> None:
        self.alias = alias
        self.prefix = prefix

    @property
    def _cache(self):  # type: ignore[no-untyped-def]
        # Looked up at each use: caches are per thread and tests swap CACHES.
        return caches[self.alias]

    def deny(self, key: str, ttl: int) -> None:
        with store_unavailable_guard():
            self._cache.set(self.prefix + key, 1, timeout=max(ttl, 1))

    def any_denied(self, keys: Sequence[str]) -> bool:
        if not keys:
            return False
        with store_unavailable_guard():
            return bool(self._cache.get_many([self.prefix + key for key in keys]))

    def store(self, key: str, value: int, ttl: int) -> None:
        with store_unavailable_guard():
            self._cache.set(self.prefix + key, int(value), timeout=max(ttl, 1))

    def fetch(self, keys: Sequence[str]) -> dict[str, int]:
        if not keys:
            return {}
        with store_unavailable_guard():
            found = self._cache.get_many([self.prefix + key for key in keys])
        return {key: int(found[self.prefix + key]) for key in keys if self.prefix + key in found}

    def claim(self, key: str, ttl: int) -> bool:
        with store_unavailable_guard():
            return bool(self._cache.add(self.prefix + key, 1, timeout=max(ttl, 1)))
