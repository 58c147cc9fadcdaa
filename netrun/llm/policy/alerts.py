"""Budget alerts: soft thresholds (50/80/100 % of a window's limit) that fire once.

After each reservation, settlement and release,
:func:`~netrun.llm.policy.reservation.report_budget` gives every spend watcher
(:func:`add_spend_watcher`) the settled spend of each capped window it watches. An
:class:`AlertEvaluator` is such a watcher: it finds the thresholds the settled spend has
reached and asks its :class:`AlertStore` to *claim* each one. A claim succeeds once per
tenant, scope, window (``window.key``: scope, period and start) and threshold, whatever the
number of processes asking: only the claimant logs ``llm_budget_alert`` and notifies. A new
period is a new window key, so the thresholds fire again.

:class:`MemoryAlertStore` claims within one process (the memory ledger's reach); the Django
app claims with a unique row per alert (:mod:`netrun.llm.policy.alerts_django`), shared by
every process on the database.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import abc
import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from netrun.llm.policy.ledgers.base import BudgetWindow, from_micros
from netrun.logging import get_logger

__all__ = [
    "DEFAULT_THRESHOLDS",
    "AlertEvaluator",
    "AlertStore",
    "BudgetAlertEvent",
    "MemoryAlertStore",
    "SpendWatcher",
    "add_spend_watcher",
    "crossed_thresholds",
    "remove_spend_watcher",
    "spend_watchers",
    "threshold_problem",
    "window_scope",
]

logger = get_logger(__name__)

#: Percentages of a window's limit an :class:`AlertEvaluator` fires at when given none.
DEFAULT_THRESHOLDS: tuple[int, ...] = (50, 80, 100)

#: The largest threshold accepted: 1000 % of the limit (spend can pass a limit, see
#: ``llm_cost_above_reservation``; a threshold above 100 watches for that).
MAX_THRESHOLD = 1000


def window_scope(window: BudgetWindow) -> str:
    """The scope a window belongs to: ``"tenant"``, ``"user:42"``, ``"tag:summary"``, ..."""
    return window.scope


def threshold_problem(thresholds: object) -> str | None:
    """Why ``thresholds`` is not a list of percentages (ints from 1 to 1000), or ``None``."""
    if isinstance(thresholds, str | bytes) or not isinstance(thresholds, Iterable):
        return f"{thresholds!r} is not a list of percentages"
    for value in thresholds:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{value!r} is not a whole percentage"
        if not 1 <= value <= MAX_THRESHOLD:
            return f"{value} is outside 1..{MAX_THRESHOLD}"
    return None


def crossed_thresholds(spent: int, limit: int, thresholds: Iterable[int]) -> list[int]:
    """The thresholds (percentages) that ``spent`` of ``limit`` micro-dollars has reached."""
    if limit <= 0:
        return sorted(set(thresholds))  # a zero budget is spent at once
    # Integers only: 80 % of a limit is reached at spent * 100 >= 80 * limit, exactly.
    return sorted({t for t in thresholds if spent * 100 >= t * limit})


@dataclass(frozen=True, slots=True)
class BudgetAlertEvent:
    """A threshold a window's settled spend reached; ``alert_id`` is set once claimed."""

    tenant_id: str
    scope: str
    period: str
    period_start: dt.date
    window_key: str
    threshold: int
    spent: int
    limit: int
    fired_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    alert_id: str = ""

    @property
    def spent_usd(self) -> Decimal:
        return from_micros(self.spent)

    @property
    def limit_usd(self) -> Decimal:
        return from_micros(self.limit)

    @property
    def claim_key(self) -> tuple[str, str, str, int]:
        return (self.tenant_id, self.scope, self.window_key, self.threshold)


class AlertStore(abc.ABC):
    """Where claimed alerts live: :meth:`claim` admits each claim key once, ever."""

    @abc.abstractmethod
    def claim(self, event: BudgetAlertEvent) -> str | None:
        """Record ``event``; return its new alert id, or ``None`` if it was claimed before."""


class MemoryAlertStore(AlertStore):
    """Claims of this process only (with the memory ledger, the only process that spends)."""

    def __init__(self) -> None:
        self.events: dict[tuple[str, str, str, int], BudgetAlertEvent] = {}
        self._lock = threading.Lock()

    def claim(self, event: BudgetAlertEvent) -> str | None:
        with self._lock:
            if event.claim_key in self.events:
                return None
            alert_id = uuid.uuid4().hex
            self.events[event.claim_key] = _with_id(event, alert_id)
            return alert_id


def _with_id(event: BudgetAlertEvent, alert_id: str) -> BudgetAlertEvent:
    return BudgetAlertEvent(
        tenant_id=event.tenant_id,
        scope=event.scope,
        period=event.period,
        period_start=event.period_start,
        window_key=event.window_key,
        threshold=event.threshold,
        spent=event.spent,
        limit=event.limit,
        fired_at=event.fired_at,
        alert_id=alert_id,
    )


#: ``(tenant_id, window) -> thresholds``: the percentages watched on one window.
ThresholdSource = Callable[[str, BudgetWindow], Sequence[int]]
#: Called once per claimed alert, by the process that claimed it.
AlertNotifier = Callable[[BudgetAlertEvent], None]


class SpendWatcher(Protocol):
    """What :func:`~netrun.llm.policy.reservation.report_budget` calls with settled spend."""

    def watches(self, tenant_id: str, window: BudgetWindow) -> bool:
        """Whether :meth:`spent` wants this window (``False`` spares the ledger a read)."""
        ...

    def spent(self, tenant_id: str, window: BudgetWindow, spent: int) -> None: ...


class AlertEvaluator:
    """Fires each threshold of each capped window once (a :class:`SpendWatcher`).

    ``thresholds`` is a tuple of percentages, or a function of ``(tenant_id, window)`` (per
    scope thresholds); ``notify`` is called with each event this process claimed, after the
    ``llm_budget_alert`` log line. Claims this process already made or lost are remembered,
    so a window past a threshold costs no store round trip per call.
    """

    #: Claim keys remembered before the memory is cleared (old windows are never asked again).
    REMEMBERED = 10_000

    def __init__(
        self,
        store: AlertStore,
        *,
        thresholds: Sequence[int] | ThresholdSource = DEFAULT_THRESHOLDS,
        notify: AlertNotifier | None = None,
    ) -> None:
        self.store = store
        self._thresholds = thresholds
        self.notify = notify
        self._settled: set[tuple[str, str, str, int]] = set()
        self._lock = threading.Lock()

    def thresholds(self, tenant_id: str, window: BudgetWindow) -> Sequence[int]:
        source = self._thresholds
        return source(tenant_id, window) if callable(source) else source

    def watches(self, tenant_id: str, window: BudgetWindow) -> bool:
        return window.limit is not None and bool(self.thresholds(tenant_id, window))

    def spent(self, tenant_id: str, window: BudgetWindow, spent: int) -> None:
        self.evaluate(tenant_id, window, spent)

    def evaluate(self, tenant_id: str, window: BudgetWindow, spent: int) -> list[BudgetAlertEvent]:
        """Claim the thresholds ``spent`` reached in ``window``; return the events claimed here."""
        if window.limit is None:
            return []
        scope = window_scope(window)
        claimed: list[BudgetAlertEvent] = []
        for threshold in crossed_thresholds(
            spent, window.limit, self.thresholds(tenant_id, window)
        ):
            key = (tenant_id, scope, window.key, threshold)
            if key in self._settled:
                continue
            event = BudgetAlertEvent(
                tenant_id=tenant_id,
                scope=scope,
                period=str(getattr(window.period, "value", window.period)),
                period_start=window.start,
                window_key=window.key,
                threshold=threshold,
                spent=spent,
                limit=window.limit,
            )
            alert_id = self.store.claim(event)
            self._remember(key)
            if alert_id is None:
                continue  # another process (or call) fired it
            event = _with_id(event, alert_id)
            logger.warning(
                "llm_budget_alert",
                tenant_id=tenant_id,
                scope=scope,
                period=event.period,
                period_start=event.period_start.isoformat(),
                threshold=threshold,
                spent_usd=str(event.spent_usd),
                limit_usd=str(event.limit_usd),
                alert_id=alert_id,
            )
            claimed.append(event)
            if self.notify is not None:
                self.notify(event)
        return claimed

    def _remember(self, key: tuple[str, str, str, int]) -> None:
        with self._lock:
            if len(self._settled) >= self.REMEMBERED:
                self._settled.clear()  # the store still refuses a second claim
            self._settled.add(key)

    def forget(self) -> None:
        """Drop what this process remembers of past claims (tests; a store that was emptied)."""
        with self._lock:
            self._settled.clear()


# Read on every budget change, so kept as an immutable tuple.
_watchers: tuple[SpendWatcher, ...] = ()
_watchers_lock = threading.Lock()


def add_spend_watcher(watcher: SpendWatcher) -> None:
    """Give ``watcher`` the settled spend of the windows it watches after each budget change."""
    global _watchers
    with _watchers_lock:
        if watcher not in _watchers:
            _watchers = (*_watchers, watcher)


def remove_spend_watcher(watcher: SpendWatcher) -> None:
    global _watchers
    with _watchers_lock:
        _watchers = tuple(known for known in _watchers if known is not watcher)


def spend_watchers() -> tuple[SpendWatcher, ...]:
    return _watchers
