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
        # tenant -> no hold of it expires before this: the sweep skips the scan until then,
        # so a reserve costs the same with 10 holds in flight or 10,000.
        self._next_expiry: dict[str, float] = {}

    def _sweep(self, tenant_id: str, now: float) -> None:
        holds = self._holds.get(tenant_id)
        if not holds or now < self._next_expiry.get(tenant_id, 0.0):
            return
        for reservation_id in [rid for rid, hold in holds.items() if hold.expires_at <= now]:
            self._drop(tenant_id, holds.pop(reservation_id))
        self._next_expiry[tenant_id] = min(
            (hold.expires_at for hold in holds.values()), default=float("inf")
        )

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
            expires_at = now + ttl
            self._holds.setdefault(tenant_id, {})[reservation_id] = _Hold(
                amount, tuple(w.key for w in windows), expires_at
            )
            if expires_at < self._next_expiry.get(tenant_id, float("inf")):
                self._next_expiry[tenant_id] = expires_at

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
