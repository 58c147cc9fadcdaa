"""A hold on a tenant's budgets for one call, and the outbox that keeps refused settlements.

Settlement reads any usage an official SDK returns (:func:`netrun.llm.types.usage_from`);
one it cannot read charges the whole hold and raises
:class:`~netrun.llm.types.UsageShapeError`. A settlement the ledger refuses is retried, then
kept in the process's outbox, which the next reservation (or
:func:`drain_pending_settlements`, from a periodic task) writes: a settled cost is not lost
while the process lives.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from netrun.llm.policy.alerts import SpendWatcher, spend_watchers
from netrun.llm.policy.ledgers.base import (
    BudgetLedger,
    BudgetWindow,
    budget_listeners,
    from_micros,
    to_micros,
)
from netrun.llm.policy.pricing import ModelPrice
from netrun.llm.types import UsageShapeError, usage_from
from netrun.logging import get_logger

if TYPE_CHECKING:
    from netrun.llm.policy.enforcer import PolicyEnforcer

__all__ = [
    "Reservation",
    "drain_pending_settlements",
    "pending_settlements",
    "report_budget",
]

logger = get_logger(__name__)


#: Attempts of a settlement before it goes to the outbox, and the first pause between them.
SETTLE_ATTEMPTS = 3
SETTLE_BACKOFF = 0.05


@dataclass(frozen=True, slots=True)
class _PendingSettlement:
    ledger: BudgetLedger
    tenant_id: str
    reservation_id: str
    windows: tuple[BudgetWindow, ...]
    actual: int


class _Outbox:
    """Settlements a ledger refused after the retries, written by the next drain."""

    def __init__(self) -> None:
        self._items: deque[_PendingSettlement] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def add(self, item: _PendingSettlement) -> None:
        with self._lock:
            self._items.append(item)

    def drain(self) -> int:
        """Write what can be written; return how many settlements are still pending."""
        with self._lock:
            items = list(self._items)
            self._items.clear()
        failed: list[_PendingSettlement] = []
        for item in items:
            try:
                item.ledger.settle(item.tenant_id, item.reservation_id, item.windows, item.actual)
            except Exception as error:
                failed.append(item)
                logger.warning(
                    "llm_budget_settle_pending",
                    tenant_id=item.tenant_id,
                    actual_micros=item.actual,
                    error=f"{type(error).__name__}: {error}",
                )
            else:
                logger.info(
                    "llm_budget_settle_recovered",
                    tenant_id=item.tenant_id,
                    actual_micros=item.actual,
                )
        if failed:
            with self._lock:
                self._items.extendleft(reversed(failed))
        return len(self._items)

    def drain_at_exit(self) -> None:
        if self._items and self.drain():
            for item in self._items:
                # The last trace of this spend: the line an operator reconciles from.
                logger.error(
                    "llm_budget_settle_lost",
                    tenant_id=item.tenant_id,
                    reservation_id=item.reservation_id,
                    actual_micros=item.actual,
                )


_outbox = _Outbox()
atexit.register(_outbox.drain_at_exit)


def pending_settlements() -> int:
    """How many settled costs of this process wait in the outbox for their ledger."""
    return len(_outbox)


def drain_pending_settlements() -> int:
    """Write the outbox's settlements to their ledgers; return how many are still pending.

    The next reservation of any enforcer drains it too; call this from a periodic task in a
    process that may go quiet while its ledger is down.
    """
    return _outbox.drain()


class Reservation:
    """A hold on the tenant's budgets for one call; settle it or release it, once.

    Also a context manager: leaving the block with an exception releases the hold, and
    leaving it without a settlement releases it too (and logs that it was never settled).
    """

    def __init__(
        self,
        enforcer: PolicyEnforcer,
        *,
        reservation_id: str,
        provider: str,
        model: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        price: ModelPrice | None,
    ) -> None:
        self.enforcer = enforcer
        self.id = reservation_id
        self.provider = provider
        self.model = model
        self.windows = tuple(windows)
        self.amount_micros = amount
        self.price = price
        #: The real cost once settled (``None`` before, or when the price is unknown).
        self.cost: Decimal | None = None
        self.state = "held"
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Reservation({self.provider}/{self.model}, {self.amount_usd} USD, {self.state})"

    @property
    def amount_usd(self) -> Decimal:
        return from_micros(self.amount_micros)

    def _close(self, state: str) -> bool:
        with self._lock:
            if self.state != "held":
                return False
            self.state = state
            return True

    def _actual(self, usage: Any) -> int:
        counts = usage_from(usage)  # first: an unreadable usage is refused even when unpriced
        if self.price is None:
            # Only tenants without budgets or cost rules get here; count it, loudly.
            logger.warning(
                "llm_cost_unknown",
                tenant_id=self.enforcer.policy.tenant_id,
                provider=self.provider,
                model=self.model,
            )
            return 0
        self.cost = self.price.usage_cost(counts)
        actual = to_micros(self.cost)
        if counts.estimated:
            # Counted locally (a stream abandoned before the provider's usage): the hold is
            # the bound of what the provider bills, the local count is not.
            actual = max(actual, self.amount_micros)
            self.cost = from_micros(actual)
        return actual

    def _settlement(self, usage: Any) -> tuple[int, UsageShapeError | None]:
        """The micro-dollars to charge for ``usage``, and the error to raise after charging."""
        try:
            actual = self._actual(usage)
        except UsageShapeError as error:
            logger.error(
                "llm_usage_unreadable",
                tenant_id=self.enforcer.policy.tenant_id,
                provider=self.provider,
                model=self.model,
                charged_micros=self.amount_micros,
                error=str(error),
            )
            self.cost = None if self.price is None else self.amount_usd
            return self.amount_micros, error
        if actual > self.amount_micros:
            # The hold was not a bound of this call (tools or files sent besides the
            # messages, or a provider counting differently): charged anyway, since it was
            # billed, but the budget may now be passed.
            logger.error(
                "llm_cost_above_reservation",
                tenant_id=self.enforcer.policy.tenant_id,
                provider=self.provider,
                model=self.model,
                reserved_micros=self.amount_micros,
                actual_micros=actual,
            )
        return actual, None

    def settle(self, usage: Any) -> None:
        """Replace the hold with the cost of ``usage``: netrun's ``Usage`` or whatever usage
        an official SDK returned (see :func:`~netrun.llm.types.usage_from`).

        An unreadable usage charges the whole hold, then raises
        :class:`~netrun.llm.types.UsageShapeError`: the call happened and must not look free.
        A usage marked ``estimated`` (counted locally) is charged at least the hold.
        """
        if not self._close("settled"):
            return
        actual, error = self._settlement(usage)
        self._write(actual)
        if error is not None:
            raise error

    def release(self) -> None:
        """Give the hold back: the call failed or was cancelled before any usage."""
        if self._close("released"):
            self._give_back()

    async def asettle(self, usage: Any) -> None:
        """:meth:`settle` with the ledger write in a worker thread."""
        if not self._close("settled"):
            return
        actual, error = self._settlement(usage)
        await asyncio.to_thread(self._write, actual)
        if error is not None:
            raise error

    async def arelease(self) -> None:
        if self._close("released"):
            await asyncio.to_thread(self._give_back)

    def _write(self, actual: int) -> None:
        """Settle in the ledger, retried; what still fails waits in the outbox."""
        ledger, tenant_id = self.enforcer.ledger, self.enforcer.policy.tenant_id
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                ledger.settle(tenant_id, self.id, self.windows, actual)
            except Exception as error:
                last = error
                if attempt + 1 < SETTLE_ATTEMPTS:
                    time.sleep(SETTLE_BACKOFF * 2**attempt)  # a lock or a blip passes
            else:
                if len(_outbox):
                    _outbox.drain()  # the ledger answers again: write what waited
                report_budget(ledger, tenant_id, self.windows)
                return
        # The call succeeded; losing its answer over bookkeeping would be worse, and losing
        # its cost would let the budget be passed: the outbox keeps it for the next drain.
        _outbox.add(_PendingSettlement(ledger, tenant_id, self.id, self.windows, actual))
        logger.error(
            "llm_budget_settle_failed",
            tenant_id=tenant_id,
            provider=self.provider,
            model=self.model,
            actual_micros=actual,
            pending=len(_outbox),
            error=f"{type(last).__name__}: {last}",
        )

    def _give_back(self) -> None:
        ledger, tenant_id = self.enforcer.ledger, self.enforcer.policy.tenant_id
        try:
            ledger.release(tenant_id, self.id)
        except Exception as error:
            logger.error(
                "llm_budget_release_failed",
                tenant_id=tenant_id,
                error=f"{type(error).__name__}: {error}",
            )
            return
        report_budget(ledger, tenant_id, self.windows)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self.state == "held" and exc is None:
            logger.warning("llm_reservation_not_settled", provider=self.provider, model=self.model)
        self.release()


def report_budget(ledger: BudgetLedger, tenant_id: str, windows: Sequence[BudgetWindow]) -> None:
    """Tell the budget listeners (the Prometheus gauge) what each capped window has left, and
    the spend watchers (budget alerts, :mod:`netrun.llm.policy.alerts`) its settled spend."""
    listeners = budget_listeners()
    watchers = spend_watchers()
    if not listeners and not watchers:
        return  # no extra ledger read unless someone listens
    try:
        for window in windows:
            if window.limit is None:
                continue
            watching = [w for w in watchers if _watches(w, tenant_id, window)]
            # The gauge is the tenant's: a user's or a tag's window must not overwrite it.
            gauges = listeners if window.scope == "tenant" else []
            if not gauges and not watching:
                continue
            usage = ledger.usage(tenant_id, window)
            remaining = from_micros(max(0, window.limit - usage.spent - usage.reserved))
            for listener in gauges:
                listener(tenant_id, window.period.value, remaining)
            for watcher in watching:
                # Settled spend only: a hold may still be released.
                _watch(watcher, tenant_id, window, usage.spent)
    except Exception as error:
        # A gauge is not worth failing or slowing down a call over.
        logger.warning(
            "llm_budget_report_failed",
            tenant_id=tenant_id,
            error=f"{type(error).__name__}: {error}",
        )


def _watches(watcher: SpendWatcher, tenant_id: str, window: BudgetWindow) -> bool:
    try:
        return watcher.watches(tenant_id, window)
    except Exception as error:
        logger.warning(
            "llm_budget_alert_failed",
            tenant_id=tenant_id,
            window=window.key,
            error=f"{type(error).__name__}: {error}",
        )
        return False


def _watch(watcher: SpendWatcher, tenant_id: str, window: BudgetWindow, spent: int) -> None:
    try:
        watcher.spent(tenant_id, window, spent)
    except Exception as error:
        # An alert store that is down must not fail the call whose spend it watched; the
        # next budget change of the window claims the threshold again.
        logger.warning(
            "llm_budget_alert_failed",
            tenant_id=tenant_id,
            window=window.key,
            error=f"{type(error).__name__}: {error}",
        )
