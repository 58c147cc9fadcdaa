"""``TenantMiddleware``'s cache: tenants by the value that named them, and memberships.

Without it every request costs a tenant query (and, for a header, session or subdomain, a
membership query). With it, a process answers from a bounded LRU; an entry is used only
while all of these hold:

* it is younger than ``NETRUN_RBAC_TENANT_CACHE_TTL`` seconds (the bound for changes that
  no signal reports: ``QuerySet.update()``, raw SQL, another service writing the table);
* no tenant or membership was saved or deleted in this process since it was stored
  (``post_save``/``post_delete`` receivers clear the cache at once, and again when the
  transaction commits, so a reader that ran between the two cannot keep the old row);
* the *generation* in the Django cache ``NETRUN_RBAC_TENANT_CACHE_ALIAS`` is the one it was
  stored under. The same receivers write a new generation on every such change, and every
  request reads it (one cache ``GET``), so a change saved by any process is seen by the next
  request of every process sharing that cache.

Closed when unsure: when the generation cannot be read (the cache is down, a ``DummyCache``)
nothing is answered from memory; the database decides, as without a cache. A cached tenant
is copied for each request, so a view that edits ``request.tenant`` edits its own copy.
Misses are not cached: a tenant created a moment ago is found at once, and values nobody
owns (``X-Tenant-ID`` guesses) cannot fill the cache.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from netrun.logging import get_logger

__all__ = ["GENERATION_KEY", "MISSING", "TenantCache"]

logger = get_logger("netrun.rbac")

#: The key of the shared generation in the Django cache (``KEY_PREFIX`` applies).
GENERATION_KEY = "netrun:rbac:tenant-cache-generation"

#: What :meth:`TenantCache.get` answers when it has nothing to say.
MISSING: Any = object()


class TenantCache:
    """A bounded LRU of tenants and memberships with a TTL and a shared generation.

    ``shared_store()`` returns the store of the generation (``get``/``add``/``set`` of a
    Django cache) or ``None`` to keep it per process (other processes then notice a change
    within ``ttl``). ``copy`` gives each caller its own copy of a value; ``clock`` is
    monotonic seconds. Framework-neutral: the glue in :mod:`netrun.rbac.middleware` builds it.
    """

    def __init__(
        self,
        *,
        size: int,
        ttl: float,
        shared_store: Callable[[], Any] | None = None,
        copy: Callable[[Any], Any] = lambda value: value,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self.ttl = ttl
        self._shared_store = shared_store if shared_store is not None else lambda: None
        self._copy = copy
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._local = 0

    def generation(self) -> str | None:
        """The tag entries are stored and read under; ``None``: do not use the cache now."""
        local = self._local
        try:
            store = self._shared_store()
            if store is None:
                return str(local)
            shared = store.get(GENERATION_KEY)
            if shared is None:
                # First use, or the store lost it (restart, eviction): every entry stored
                # under the old value is dead, since the new one cannot equal it.
                store.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
                shared = store.get(GENERATION_KEY)
        except Exception as error:  # any store failure means: ask the database
            logger.warning("rbac_tenant_cache_unavailable", error=type(error).__name__)
            return None
        if shared is None:  # a store that keeps nothing (DummyCache)
            return None
        return f"{local}:{shared}"

    def get(self, key: Hashable, generation: str | None) -> Any:
        """The value stored under ``key`` in this generation and still fresh, or ``MISSING``."""
        if generation is None:
            return MISSING
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return MISSING
            expires, tag, value = entry
            if tag != generation or expires <= self._clock():
                del self._entries[key]
                return MISSING
            self._entries.move_to_end(key)
        return self._copy(value)

    def put(self, key: Hashable, generation: str | None, value: Any) -> None:
        """Remember ``value`` under the generation read *before* the database was asked."""
        if generation is None:
            return
        entry = (self._clock() + self.ttl, generation, self._copy(value))
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear_local(self) -> None:
        """Forget every entry of this process."""
        with self._lock:
            self._local += 1
            self._entries.clear()

    def invalidate(self) -> None:
        """Forget every entry here and, through the shared generation, in every process."""
        self.clear_local()
        try:
            store = self._shared_store()
            if store is not None:
                store.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        except Exception as error:  # the change is saved; say who may lag
            # The other processes keep their entries until the TTL (or until they, too,
            # cannot read the generation, and then ask the database).
            logger.error(
                "rbac_tenant_cache_invalidation_failed",
                error=type(error).__name__,
                stale_for_at_most=self.ttl,
            )

    def __len__(self) -> int:
        return len(self._entries)
