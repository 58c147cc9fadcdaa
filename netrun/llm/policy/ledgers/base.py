"""The ledger contract: reserve, settle and release amounts against per-period budgets.

Amounts are integer micro-dollars (1e-6 USD) everywhere below the enforcer, so every store
(a Python int, a Redis integer, a PostgreSQL ``bigint``) adds them exactly. Reservations
round up and are never below the real cost of what they reserve for.

Budget listeners (:func:`add_budget_listener`) hear what a tenant has left after each
reservation, settlement and release; :class:`~netrun.llm.telemetry.sinks.prometheus.PrometheusSink`
registers one to keep its ``budget_remaining_usd`` gauge current.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import abc
import asyncio
import datetime as dt
import enum
import math
import threading
import weakref
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

__all__ = [
    "BudgetLedger",
    "BudgetListener",
    "BudgetWindow",
    "Period",
    "ReservationRefused",
    "WindowUsage",
    "add_budget_listener",
    "budget_listeners",
    "from_micros",
    "remove_budget_listener",
    "to_micros",
    "windows_for",
]

_MICROS = Decimal(1_000_000)


def to_micros(usd: Decimal | float | int) -> int:
    """USD as whole micro-dollars, rounded up: a budget must never be under-charged."""
    value = usd if isinstance(usd, Decimal) else Decimal(str(usd))
    return int((value * _MICROS).to_integral_value(rounding=ROUND_CEILING))


def from_micros(micros: int) -> Decimal:
    return Decimal(micros) / _MICROS


class Period(str, enum.Enum):
    DAY = "day"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class BudgetWindow:
    """One budget period of a tenant: ``day`` 2025-06-01 with at most ``limit`` micro-dollars.

    ``limit`` ``None`` tracks spend without a cap. ``resets_at`` (UTC) is when the next period
    starts, used for ``Retry-After``.
    """

    period: Period
    start: dt.date
    limit: int | None
    resets_at: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.period.value}:{self.start.isoformat()}"


@dataclass(frozen=True, slots=True)
class WindowUsage:
    spent: int = 0
    reserved: int = 0


class ReservationRefused(Exception):
    """A ledger refuses a reservation that does not fit in ``window``.

    Ledger control flow, not an HTTP error: the enforcer turns it into
    :class:`~netrun.errors.BudgetExceededError` (429). Named ``BudgetExhausted`` before 2.1.
    """

    def __init__(self, window: BudgetWindow, usage: WindowUsage) -> None:
        super().__init__(f"{window.key} budget exhausted")
        self.window = window
        self.usage = usage


def windows_for(
    now: dt.datetime,
    *,
    daily_limit: int | None,
    monthly_limit: int | None,
    timezone: str = "UTC",
) -> tuple[BudgetWindow, ...]:
    """The day and month windows containing ``now`` (aware) in ``timezone``, sorted by key."""
    zone = dt.timezone.utc if timezone in ("UTC", "") else zoneinfo.ZoneInfo(timezone)
    local = now.astimezone(zone)
    today = local.date()
    tomorrow = today + dt.timedelta(days=1)
    month = today.replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)

    def utc_start(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.timezone.utc)

    return (
        BudgetWindow(Period.DAY, today, daily_limit, utc_start(tomorrow)),
        BudgetWindow(Period.MONTH, month, monthly_limit, utc_start(next_month)),
    )


def retry_after(window: BudgetWindow, now: dt.datetime) -> int:
    """Whole seconds until ``window`` resets (at least 1)."""
    return max(1, math.ceil((window.resets_at - now).total_seconds()))


class BudgetLedger(abc.ABC):
    """Where reservations and spend live. One ledger serves every tenant.

    * ``reserve`` admits ``amount`` only if, for every window with a limit,
      ``spent + reserved + amount <= limit``, and holds it in all windows at once, atomically;
      otherwise it raises :class:`ReservationRefused` naming the first window that refused.
      Reservations older than ``ttl`` seconds are released by the next ``reserve`` of the
      tenant: a process that died holding one does not keep the budget forever.
    * ``settle`` drops the hold and charges ``actual`` to the same windows. A reservation that
      already expired is charged anyway (the call happened), without a second release.
    * ``release`` drops the hold; releasing twice, or after settling, does nothing.
    """

    @abc.abstractmethod
    def reserve(
        self,
        tenant_id: str,
        reservation_id: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        ttl: float,
    ) -> None: ...

    @abc.abstractmethod
    def settle(
        self, tenant_id: str, reservation_id: str, windows: Sequence[BudgetWindow], actual: int
    ) -> None: ...

    @abc.abstractmethod
    def release(self, tenant_id: str, reservation_id: str) -> None: ...

    @abc.abstractmethod
    def usage(self, tenant_id: str, window: BudgetWindow) -> WindowUsage:
        """Spent and reserved amounts of one window (zeros when nothing was recorded)."""

    async def areserve(
        self,
        tenant_id: str,
        reservation_id: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        ttl: float,
    ) -> None:
        # Network ledgers block; a worker thread keeps the event loop free.
        await asyncio.to_thread(self.reserve, tenant_id, reservation_id, windows, amount, ttl)

    async def asettle(
        self, tenant_id: str, reservation_id: str, windows: Sequence[BudgetWindow], actual: int
    ) -> None:
        await asyncio.to_thread(self.settle, tenant_id, reservation_id, windows, actual)

    async def arelease(self, tenant_id: str, reservation_id: str) -> None:
        await asyncio.to_thread(self.release, tenant_id, reservation_id)

    def close(self) -> None:  # noqa: B027 - optional hook; the memory ledger holds nothing
        """Release connections."""


def parse_window_keys(encoded: str) -> list[tuple[Period, dt.date]]:
    """``"day:2025-06-01,month:2025-06-01"`` (how stores keep a reservation's windows)."""
    keys = []
    for part in encoded.split(","):
        if part:
            period, _, start = part.partition(":")
            keys.append((Period(period), dt.date.fromisoformat(start)))
    return keys


def encode_windows(windows: Sequence[BudgetWindow]) -> str:
    return ",".join(window.key for window in windows)


#: ``(tenant_id, period, remaining_usd)``: what a tenant has left in one window with a limit.
BudgetListener = Callable[[str, str, Decimal], None]

# Bound methods are held weakly (a sink that is dropped stops listening); plain functions
# strongly, as signals do. Read on every budget change, so kept as an immutable tuple.
_listeners: tuple[weakref.WeakMethod[BudgetListener] | BudgetListener, ...] = ()
_listeners_lock = threading.Lock()


def _ref(listener: BudgetListener) -> weakref.WeakMethod[BudgetListener] | BudgetListener:
    return weakref.WeakMethod(listener) if hasattr(listener, "__self__") else listener


def add_budget_listener(listener: BudgetListener) -> None:
    """Call ``listener`` after every budget change of every enforcer in this process."""
    global _listeners
    with _listeners_lock:
        if listener not in budget_listeners():
            _listeners = (*_listeners, _ref(listener))


def remove_budget_listener(listener: BudgetListener) -> None:
    global _listeners
    with _listeners_lock:
        _listeners = tuple(
            ref
            for ref in _listeners
            if (ref() if isinstance(ref, weakref.WeakMethod) else ref) not in (None, listener)
        )


def budget_listeners() -> list[BudgetListener]:
    """The live listeners, in the order they were added."""
    live: list[BudgetListener] = []
    for ref in _listeners:
        listener = ref() if isinstance(ref, weakref.WeakMethod) else ref
        if listener is not None:
            live.append(listener)
    return live
