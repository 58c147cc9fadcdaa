"""In-memory sliding-window backend: exact, thread-safe, one process.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from netrun.ratelimit._decision import Decision
from netrun.ratelimit.backends.base import Backend

__all__ = ["MemoryBackend"]


class _Window:
    __slots__ = ("entries", "period", "used")

    def __init__(self, period: float) -> None:
        self.entries: deque[tuple[float, int]] = deque()
        self.used = 0
        self.period = period

    def expire(self, now: float) -> None:
        horizon = now - self.period
        entries = self.entries
        while entries and entries[0][0] <= horizon:
            self.used -= entries.popleft()[1]


class MemoryBackend(Backend):
    """A sliding-window log per key in a dict, guarded by one lock.

    Exact: at most ``limit`` units are admitted in *any* interval of ``period`` seconds. Memory
    is one entry per admitted hit still inside its window; idle keys are swept every
    ``sweep_every`` hits. Counts are per process: use :class:`RedisBackend` for many.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, sweep_every: int = 10_000
    ) -> None:
        super().__init__()
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self._sweep_every = sweep_every
        self._hits = 0

    def hit(self, key: str, limit: int, period: float, cost: int) -> Decision:
        with self._lock:
            now = self._clock()
            self._hits += 1
            if self._hits >= self._sweep_every:
                self._sweep(now)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(period)
            window.period = period
            window.expire(now)
            allowed = window.used + cost <= limit
            if allowed and cost > 0:
                window.entries.append((now, cost))
                window.used += cost
            retry_after = 0.0 if allowed else self._retry_after(window, now, limit, cost)
            reset_after = window.entries[-1][0] + period - now if window.entries else 0.0
            return Decision(allowed, limit, limit - window.used, reset_after, retry_after)

    @staticmethod
    def _retry_after(window: _Window, now: float, limit: int, cost: int) -> float:
        # The oldest entries leave first; find the one whose expiry frees enough room.
        needed = window.used + cost - limit
        freed = 0
        for stamp, entry_cost in window.entries:
            freed += entry_cost
            if freed >= needed:
                return stamp + window.period - now
        return math.inf  # unreachable while cost <= limit, which the limiter enforces

    def _sweep(self, now: float) -> None:
        self._hits = 0
        idle = [
            key
            for key, window in self._windows.items()
            if not window.entries or window.entries[-1][0] <= now - window.period
        ]
        for key in idle:
            del self._windows[key]

    def reset(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)

    def __len__(self) -> int:
        """Keys currently held (idle ones included until the next sweep)."""
        return len(self._windows)
