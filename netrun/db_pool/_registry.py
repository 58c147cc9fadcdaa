"""The pools alive in this process, for the metrics collector and the management command.

Weak references: registering a pool never keeps it alive.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

__all__ = ["active_pools", "register", "unregister"]

_lock = threading.Lock()
_pools: weakref.WeakSet[Any] = weakref.WeakSet()


def register(pool: Any) -> None:
    with _lock:
        _pools.add(pool)


def unregister(pool: Any) -> None:
    with _lock:
        _pools.discard(pool)


def active_pools() -> list[Any]:
    """Open ``DatabasePool`` / ``AsyncDatabasePool`` objects, sorted by name."""
    with _lock:
        pools = list(_pools)
    return sorted(pools, key=lambda pool: str(pool.name))
