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
import hashlib
import math
import threading
import weakref
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from netrun.llm.attribution import Attribution
    from netrun.llm.policy.scopes import ScopeBudget

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
    "scope_windows",
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
    """``DAY``, ``WEEK`` (ISO, from Monday 00:00) and ``MONTH`` run in the tenant's time zone;
    ``HOURS`` are fixed windows of N hours counted from the epoch in UTC."""

    DAY = "day"
    MONTH = "month"
    WEEK = "week"
    HOURS = "hours"


#: The scope of the tenant's own budget; ``"user:<id>"``, ``"key:<id>"``, ``"tag:<name>"``
#: are the scopes below it.
TENANT_SCOPE = "tenant"

# A scope key is stored inside window keys ("<scope>/<period>:<date>", joined by "," and "|"
# in holds): those characters, "/" and "%" are escaped, and a long key is shortened to a hash
# so it fits the 200-character period column.
_SCOPE_SAFE = ":@._-~"
_SCOPE_MAX = 150


def _stored_scope(scope: str) -> str:
    kind, _, value = scope.partition(":")
    stored = f"{kind}:{quote(value, safe=_SCOPE_SAFE)}"
    if len(stored) > _SCOPE_MAX:
        digest = hashlib.sha256(value.encode()).hexdigest()[:40]
        stored = f"{kind}:~{digest}"
    return stored


@dataclass(frozen=True, slots=True)
class BudgetWindow:
    """One budget period of a tenant or of a scope inside it: ``day`` 2025-06-01 with at most
    ``limit`` micro-dollars.

    ``limit`` ``None`` tracks spend without a cap. ``resets_at`` (UTC) is when the next period
    starts, used for ``Retry-After``. ``scope`` is ``"tenant"`` or ``"user:42"``,
    ``"key:<id>"``, ``"tag:<name>"``; ``hours`` is the length of an ``HOURS`` window (which
    starts ``hours`` before ``resets_at``). ``key`` names the window in every store
    (``day:2025-06-01`` for the tenant, as before scopes; ``user:42/day:2025-06-01``), and
    ``period_key`` is that key without its start date.
    """

    period: Period
    start: dt.date
    limit: int | None
    resets_at: dt.datetime
    scope: str = TENANT_SCOPE
    hours: int | None = None
    #: The alert thresholds (percentages) of the scope budget this window came from, ``None``
    #: for the tenant's default: budget alerts read them from the window the policy made.
    alert_thresholds: tuple[int, ...] | None = field(default=None, compare=False)
    # Computed once: every ledger operation reads them, for every window of the call.
    period_key: str = field(init=False, repr=False, compare=False)
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # period_key is what stores keep as the period: ``day`` for the tenant (as before
        # scopes), ``user:42/day``, ``tag:x/5h-10`` (5 hours from 10:00 UTC on ``start``)
        # below it; key adds the start: ``day:2025-06-01``, ``user:42/day:2025-06-01``.
        if self.period is Period.HOURS:
            hour = (self.resets_at - dt.timedelta(hours=self.hours or 0)).hour
            name = f"{self.hours}h-{hour}"
        else:
            name = self.period.value
        if self.scope != TENANT_SCOPE:
            name = f"{_stored_scope(self.scope)}/{name}"
        object.__setattr__(self, "period_key", name)
        object.__setattr__(self, "key", f"{name}:{self.start.isoformat()}")


@dataclass(frozen=True, slots=True)
class WindowUsage:
    spent: int = 0
    reserved: int = 0


class ReservationRefused(Exception):
    """A ledger refuses a reservation that does not fit in ``window`` (whose ``scope`` and
    ``period`` say which budget refused).

    Ledger control flow, not an HTTP error: the enforcer turns it into
    :class:`~netrun.errors.BudgetExceededError` (429). Named ``BudgetExhausted`` before 2.1.
    """

    def __init__(self, window: BudgetWindow, usage: WindowUsage) -> None:
        super().__init__(f"{window.key} budget exhausted")
        self.window = window
        self.usage = usage

    @property
    def scope(self) -> str:
        return self.window.scope

    @property
    def period(self) -> Period:
        return self.window.period


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


def _zone(timezone: str) -> dt.tzinfo:
    return dt.timezone.utc if timezone in ("UTC", "") else zoneinfo.ZoneInfo(timezone)


def _local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The UTC instant ``day`` starts in ``zone`` (wall-clock midnight; DST-safe)."""
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.timezone.utc)


def period_window(
    now: dt.datetime,
    period: Period | str,
    *,
    limit: int | None,
    timezone: str = "UTC",
    scope: str = TENANT_SCOPE,
    hours: int | None = None,
    alert_thresholds: tuple[int, ...] | None = None,
) -> BudgetWindow:
    """The window of ``period`` containing ``now`` (aware): a day, an ISO week or a month in
    ``timezone``, or fixed ``hours``-hour windows counted from the epoch in UTC."""
    period = Period(period)
    if period is Period.HOURS:
        if not hours or hours < 1:
            raise ValueError(f"hours must be a positive integer for an hours window, not {hours!r}")
        epoch_hours = math.floor(now.timestamp() / 3600)
        first = epoch_hours - epoch_hours % hours
        start = dt.datetime.fromtimestamp(first * 3600, dt.timezone.utc)
        resets = start + dt.timedelta(hours=hours)
        return BudgetWindow(period, start.date(), limit, resets, scope, hours, alert_thresholds)
    zone = _zone(timezone)
    today = now.astimezone(zone).date()
    if period is Period.DAY:
        first_day, next_day = today, today + dt.timedelta(days=1)
    elif period is Period.WEEK:
        first_day = today - dt.timedelta(days=today.weekday())
        next_day = first_day + dt.timedelta(days=7)
    else:
        first_day = today.replace(day=1)
        next_day = (first_day + dt.timedelta(days=32)).replace(day=1)
    return BudgetWindow(
        period, first_day, limit, _local_midnight(next_day, zone), scope, None, alert_thresholds
    )


def scope_windows(
    now: dt.datetime,
    budgets: Iterable[ScopeBudget],
    scopes: Iterable[tuple[str, str]] | Attribution,
    timezone: str = "UTC",
) -> tuple[BudgetWindow, ...]:
    """The windows of every budget in ``budgets`` that caps one of ``scopes`` at ``now``: an
    :class:`~netrun.llm.attribution.Attribution`, or ``(kind, value)`` pairs as its
    ``scopes()`` gives them. One window per scope and period: a budget for one value wins
    over a default (``value`` ``None``) of the same kind and period; of several, the lowest
    limit counts."""
    if not isinstance(scopes, Iterable):
        scopes = scopes.scopes()
    chosen: dict[tuple[str, str, int | None], tuple[bool, ScopeBudget]] = {}
    budgets = tuple(budgets)
    for kind, value in scopes:
        scope = f"{kind}:{value}"
        for budget in budgets:
            if not budget.matches(kind, value):
                continue
            slot = (scope, budget.period, budget.hours)
            specific = budget.value is not None
            held = chosen.get(slot)
            if (
                held is None
                or (specific and not held[0])
                or (specific == held[0] and budget.limit_usd < held[1].limit_usd)
            ):
                chosen[slot] = (specific, budget)
    return tuple(
        period_window(
            now,
            budget.period,
            limit=to_micros(budget.limit_usd),
            timezone=timezone,
            scope=scope,
            hours=budget.hours,
            alert_thresholds=budget.alert_thresholds,
        )
        for (scope, _period, _hours), (_specific, budget) in chosen.items()
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
    """``"day:2025-06-01,month:2025-06-01"`` (how stores keep a reservation's tenant windows)."""
    return [(Period(period), start) for period, start in parse_window_parts(encoded)]


def parse_window_parts(encoded: str) -> list[tuple[str, dt.date]]:
    """``(period key, start)`` of each window of ``"day:2025-06-01,user:42/day:2025-06-01"``
    (how stores keep a reservation's windows, of any scope)."""
    keys = []
    for part in encoded.split(","):
        if part:
            period, _, start = part.rpartition(":")
            keys.append((period, dt.date.fromisoformat(start)))
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
