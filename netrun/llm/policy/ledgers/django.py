"""The budget ledger on the Django ORM, in the tables of ``netrun.llm``'s models.

The same protocol as :class:`~netrun.llm.policy.ledgers.sql.SQLLedger` (lock the tenant's
:class:`~netrun.llm.models.BudgetAccount` row, sweep stale holds, check, hold), written with the
ORM so it runs on any database Django supports. On PostgreSQL, MySQL and Oracle the lock is
``SELECT ... FOR UPDATE``; the account row is created with ``INSERT ... ON CONFLICT DO
NOTHING``, so the first calls of a tenant race without an ``IntegrityError``. SQLite has no
row lock: each operation starts with a write, which takes the database's write lock before
anything is read (waiting under the connection's busy timeout), and an operation that still
meets "database is locked" is retried. For the development server's threads, give SQLite
WAL and a busy timeout (``OPTIONS = {"init_command": "PRAGMA journal_mode=WAL", "timeout":
20, "transaction_mode": "IMMEDIATE"}``).

Import this module only once Django is set up (it imports the models).
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Sequence
from typing import Concatenate, ParamSpec

from django.db import OperationalError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from netrun.llm.models import BudgetAccount, BudgetReservation, BudgetSpend
from netrun.llm.policy.ledgers.base import (
    BudgetLedger,
    BudgetWindow,
    ReservationRefused,
    WindowUsage,
    encode_windows,
    parse_window_parts,
)

__all__ = ["DjangoLedger"]


_P = ParamSpec("_P")


def _atomic(
    operation: Callable[Concatenate[DjangoLedger, _P], None],
) -> Callable[Concatenate[DjangoLedger, _P], None]:
    """Run a ledger operation in a transaction, again when SQLite says the database is locked."""

    @functools.wraps(operation)
    def run(ledger: DjangoLedger, /, *args: _P.args, **kwargs: _P.kwargs) -> None:
        using = ledger.using
        for attempt in range(ledger.LOCKED_ATTEMPTS):
            try:
                with transaction.atomic(using=using):
                    operation(ledger, *args, **kwargs)
                return
            except OperationalError as error:
                retry = (
                    connections[using].vendor == "sqlite"
                    and "locked" in str(error)
                    and attempt + 1 < ledger.LOCKED_ATTEMPTS
                    and not connections[using].in_atomic_block
                )
                if not retry:
                    raise
                time.sleep(0.05 * 2**attempt)

    return run


def _match(windows: Sequence[BudgetWindow]) -> Q:
    query = Q(pk__in=[])
    for window in windows:
        query |= Q(period=window.period_key, period_start=window.start)
    return query


class DjangoLedger(BudgetLedger):
    """``using`` names the database alias (``"default"``)."""

    #: Attempts of an operation that met SQLite's "database is locked" (another process
    #: held the write lock past the connection's busy timeout).
    LOCKED_ATTEMPTS = 5

    def __init__(self, using: str = "default") -> None:
        self.using = using

    def _lock(self, tenant_id: str) -> None:
        accounts = BudgetAccount.objects.using(self.using)
        account = [BudgetAccount(tenant_id=tenant_id)]
        if connections[self.using].vendor == "sqlite":
            # SQLite has no row locks, and Python's sqlite3 begins the transaction only at
            # the first write: reading first would check the budget outside any lock. This
            # INSERT OR IGNORE is that write, so the connection holds the database's write
            # lock (waiting for it under the busy timeout) until the transaction ends.
            accounts.bulk_create(account, ignore_conflicts=True)
            return
        locked = accounts.select_for_update().filter(tenant_id=tenant_id).values_list("pk")
        # list() runs the query; .exists() would drop the FOR UPDATE clause.
        if not list(locked):
            # INSERT ... ON CONFLICT DO NOTHING: the racing first calls of a tenant never
            # raise IntegrityError, so no transaction is left aborted, no savepoint needed.
            accounts.bulk_create(account, ignore_conflicts=True)
            list(locked.all())

    def _drop(self, tenant_id: str, holds: Sequence[BudgetReservation]) -> None:
        spend = BudgetSpend.objects.using(self.using)
        now = timezone.now()
        for hold in holds:
            for period, start in parse_window_parts(hold.windows):
                spend.filter(tenant_id=tenant_id, period=period, period_start=start).update(
                    reserved_micros=F("reserved_micros") - hold.amount_micros, updated_at=now
                )
        BudgetReservation.objects.using(self.using).filter(
            pk__in=[hold.pk for hold in holds]
        ).delete()

    @_atomic
    def reserve(
        self,
        tenant_id: str,
        reservation_id: str,
        windows: Sequence[BudgetWindow],
        amount: int,
        ttl: float,
    ) -> None:
        spend = BudgetSpend.objects.using(self.using)
        self._lock(tenant_id)
        now = timezone.now()
        stale = BudgetReservation.objects.using(self.using).filter(
            tenant_id=tenant_id, expires_at__lte=now
        )
        self._drop(tenant_id, list(stale))
        rows = {
            (row.period, row.period_start): row
            for row in spend.filter(_match(windows), tenant_id=tenant_id)
        }
        for window in windows:
            row = rows.get((window.period_key, window.start))
            usage = (
                WindowUsage() if row is None else WindowUsage(row.spent_micros, row.reserved_micros)
            )
            if window.limit is not None and usage.spent + usage.reserved + amount > window.limit:
                raise ReservationRefused(window, usage)
        for window in windows:
            if (window.period_key, window.start) not in rows:
                spend.create(
                    tenant_id=tenant_id, period=window.period_key, period_start=window.start
                )
        spend.filter(_match(windows), tenant_id=tenant_id).update(
            reserved_micros=F("reserved_micros") + amount, updated_at=now
        )
        BudgetReservation.objects.using(self.using).create(
            id=reservation_id,
            tenant_id=tenant_id,
            amount_micros=amount,
            windows=encode_windows(windows),
            expires_at=now + dt.timedelta(seconds=ttl),
        )

    def _take(self, tenant_id: str, reservation_id: str) -> None:
        holds = list(
            BudgetReservation.objects.using(self.using).filter(
                tenant_id=tenant_id, pk=reservation_id
            )
        )
        self._drop(tenant_id, holds)

    @_atomic
    def settle(
        self, tenant_id: str, reservation_id: str, windows: Sequence[BudgetWindow], actual: int
    ) -> None:
        spend = BudgetSpend.objects.using(self.using)
        self._lock(tenant_id)
        self._take(tenant_id, reservation_id)
        now = timezone.now()
        for window in windows:
            updated = spend.filter(
                tenant_id=tenant_id, period=window.period_key, period_start=window.start
            ).update(spent_micros=F("spent_micros") + actual, updated_at=now)
            if not updated:
                spend.create(
                    tenant_id=tenant_id,
                    period=window.period_key,
                    period_start=window.start,
                    spent_micros=actual,
                )

    @_atomic
    def release(self, tenant_id: str, reservation_id: str) -> None:
        self._lock(tenant_id)
        self._take(tenant_id, reservation_id)

    def usage(self, tenant_id: str, window: BudgetWindow) -> WindowUsage:
        row = (
            BudgetSpend.objects.using(self.using)
            .filter(tenant_id=tenant_id, period=window.period_key, period_start=window.start)
            .values_list("spent_micros", "reserved_micros")
            .first()
        )
        return WindowUsage() if row is None else WindowUsage(*row)
