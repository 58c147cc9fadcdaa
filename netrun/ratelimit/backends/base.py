"""The contract every rate-limit backend implements.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import abc
import threading
import time

from netrun.ratelimit._decision import Decision

__all__ = ["Backend", "BackendUnavailableError"]


class BackendUnavailableError(Exception):
    """The backend's store could not be reached; the limiter fails open or closed."""


class Backend(abc.ABC):
    """Counts cost-weighted hits over a sliding window, atomically per key.

    A backend is shared by every limiter of a process (and, for Redis, of every process):
    create one and pass it around. ``hit`` raises :class:`BackendUnavailableError` when its
    store cannot be reached; it never decides the fail-open/closed policy itself.
    """

    def __init__(self) -> None:
        self._failure_lock = threading.Lock()
        #: How many hits could not reach the store since the backend was created.
        self.failures = 0
        self._failures_logged = 0
        self._last_failure_log = -float("inf")

    @abc.abstractmethod
    def hit(self, key: str, limit: int, period: float, cost: int) -> Decision:
        """Admit ``cost`` units for ``key`` when at most ``limit`` stay within ``period`` seconds.

        A ``cost`` of 0 records nothing and reports the key's current state.
        """

    async def ahit(self, key: str, limit: int, period: float, cost: int) -> Decision:
        """``hit`` for async callers; backends with network I/O override it."""
        return self.hit(key, limit, period, cost)

    @abc.abstractmethod
    def reset(self, key: str) -> None:
        """Forget every hit recorded for ``key``."""

    def close(self) -> None:  # noqa: B027 - optional hook; most backends hold nothing to close
        """Release connections; the backend must not be used afterwards."""

    def record_failure(self, interval: float) -> int | None:
        """Count one failed hit; return the failures since the last log when one is due.

        Logging every failure during an outage would flood the log with one line per request;
        the caller logs at most once per ``interval`` seconds with the count in between.
        """
        with self._failure_lock:
            self.failures += 1
            now = time.monotonic()
            if now - self._last_failure_log < interval:
                return None
            unlogged = self.failures - self._failures_logged
            self._failures_logged = self.failures
            self._last_failure_log = now
            return unlogged
