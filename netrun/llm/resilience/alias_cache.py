"""The admin's alias table, read once per process and again when any process changes it.

:class:`AliasTableCache` keeps the table :func:`load` returned, and uses it while both hold:

* it is younger than ``ttl`` seconds (the bound for changes no signal reports:
  ``QuerySet.update()``, raw SQL);
* the *generation* in the shared store (a Django cache, say) is the one it was loaded under.
  :meth:`AliasTableCache.invalidate` (called on every save and delete) writes a new one, and
  every lookup reads it (one ``GET``), so a change saved by one process is seen by the next
  lookup of every process sharing that store.

When the generation cannot be read (the store is down, a ``DummyCache``) the table is loaded
again for that lookup: closed when unsure, as ``netrun.rbac``'s tenant cache is. When the
load fails (the database is down, the table is not migrated yet) the last table loaded is
used, empty at first, and ``llm_aliases_unavailable`` is logged: the settings' aliases still
route. Framework-neutral: :mod:`netrun.llm.resilience.django` builds it over the ORM.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from netrun.logging import get_logger

__all__ = ["AliasTableCache"]

logger = get_logger(__name__)

Table = Mapping[str, Sequence[str]]


class AliasTableCache:
    """The table ``load()`` returns, refreshed when the generation under ``key`` in
    ``shared_store()`` (``get``/``add``/``set`` of a Django cache; ``None``: this process
    only) changes, or after ``ttl`` seconds of ``clock`` (monotonic)."""

    def __init__(
        self,
        load: Callable[[], Table],
        *,
        key: str,
        shared_store: Callable[[], Any] | None = None,
        ttl: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self.key = key
        self._shared_store = shared_store if shared_store is not None else lambda: None
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._local = 0
        self._entry: tuple[float, str, Table] | None = None
        self._last: Table = {}

    def generation(self) -> str | None:
        """The tag the table is loaded and read under; ``None``: do not trust memory now."""
        local = self._local
        try:
            store = self._shared_store()
            if store is None:
                return str(local)
            shared = store.get(self.key)
            if shared is None:
                # First use, or the store lost it: a new value cannot equal an old one.
                store.add(self.key, uuid.uuid4().hex, timeout=None)
                shared = store.get(self.key)
        except Exception as error:
            logger.warning("llm_aliases_generation_unavailable", error=type(error).__name__)
            return None
        return None if shared is None else f"{local}:{shared}"

    def get(self) -> Table:
        generation = self.generation()  # read before the load: a change during it is seen
        with self._lock:
            entry = self._entry
            if entry is not None and entry[1] == generation and entry[0] > self._clock():
                return entry[2]
        try:
            table = dict(self._load())
        except Exception as error:
            logger.warning(
                "llm_aliases_unavailable", error=type(error).__name__, result="last_table"
            )
            return self._last
        with self._lock:
            self._last = table
            if generation is not None:
                self._entry = (self._clock() + self.ttl, generation, table)
        return table

    def invalidate(self) -> None:
        """Forget the table here and, through the shared generation, in every process."""
        with self._lock:
            self._local += 1
            self._entry = None
        try:
            store = self._shared_store()
            if store is not None:
                store.set(self.key, uuid.uuid4().hex, timeout=None)
        except Exception as error:  # the change is saved; say who may lag
            logger.error(
                "llm_aliases_invalidation_failed",
                error=type(error).__name__,
                stale_for_at_most=self.ttl,
            )
