"""Rate-limit backends: :class:`MemoryBackend` (one process) and :class:`RedisBackend` (many).

Both count a sliding-window log per key, so they admit exactly ``limit`` units in any interval
of ``period`` seconds. ``RedisBackend`` imports ``redis`` only when it is created.
Framework-neutral: no Django import.
"""

from __future__ import annotations

from netrun.ratelimit.backends.base import Backend, BackendUnavailableError
from netrun.ratelimit.backends.memory import MemoryBackend
from netrun.ratelimit.backends.redis import RedisBackend

__all__ = ["Backend", "BackendUnavailableError", "MemoryBackend", "RedisBackend"]
