"""In-memory ledger: exact for the threads of one process, lost when it exits.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from netrun.llm.policy.ledgers.base import (
    BudgetLedger,
    BudgetWindow,
    ReservationRefused,
    WindowUsage,
)

__all__ = ["MemoryLedger"]


@dataclass(slots=True)
class _Hold:
    amount: int
    keys: tuple[str, ...]
    expires_at: float


class MemoryLedger(BudgetLedger):
    """One lock for the whole ledger: each operation is a few dict updates, so contention is
    cheaper than per-tenant locks would be to manage."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        # (tenant, window key) -> [spent, reserved]
        self._windows: dict[tuple[str, str], list[int]] = {}
        self._holds: dict[str, dict[str, _Hold]] = {}

    def _sweep(self, tenant_id: str, now: float) -> None:
        holds = self._holds.get(tenant_id)
        if not holds:
            return
        for reservation_id in [rid for rid, hold in holds.items() if hold.expires_at <= now]:
            self._drop(tenant_id, holds.pop(reservation_id))

    def _drop(self, tenant_id: str, hold: _Hold) -> None:
        for key in hold.keys:
            counters = self._windows.get((tenant_id, key))
            if counters is not None:
                counters[1] -= hold.amount

    def reserve(
        self,
        tenant_id: str,
        reservation_id: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        ttl: float,
    ) -> None:
        with self._lock:
            now = self._clock()
            self._sweep(tenant_id, now)
            rows = [self._windows.setdefault((tenant_id, w.key), [0, 0]) for w in windows]
            for window, (spent, reserved) in zip(windows, rows, strict=True):
                if window.limit is not None and spent + reserved + amount > window.limit:
                    raise ReservationRefused(window, WindowUsage(spent, reserved))
            for row in rows:
                row[1] += amount
            self._holds.setdefault(tenant_id, {})[reservation_id] = _Hold(
                amount, tuple(w.key for w in windows), now + ttl
            )

    def settle(
        self, tenant_id: str, reservation_id: str, windows: Sequence[BudgetWindow], actual: int
    ) -> None:
        with self._lock:
            hold = self._holds.get(tenant_id, {}).pop(reservation_id, None)
            if hold is not None:
                self._drop(tenant_id, hold)
            for window in windows:
                self._windows.setdefault((tenant_id, window.key), [0, 0])[0] += actual

    def release(self, tenant_id: str, reservation_id: str) -> None:
        with self._lock:
            hold = self._holds.get(tenant_id, {}).pop(reservation_id, None)
            if hold is not None:
                self._drop(tenant_id, hold)

    def usage(self, tenant_id: str, window: BudgetWindow) -> WindowUsage:
        with self._lock:
            spent, reserved = self._windows.get((tenant_id, window.key), (0, 0))
            return WindowUsage(spent, reserved)
