"""The budget ledger's tables: a lock row per tenant, spend per window, holds in flight.

Shared with the framework-neutral :class:`~netrun.llm.policy.ledgers.sql.SQLLedger`, which
reads and writes the same tables without the ORM;
:class:`~netrun.llm.policy.ledgers.django.DjangoLedger` goes through these models. Keyed by a
plain ``tenant_id`` string, like every LLM table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils import timezone

from netrun.llm.models._tenant import tenant_label
from netrun.llm.policy.ledgers.base import Period, from_micros, windows_for

__all__ = ["BudgetAccount", "BudgetReservation", "BudgetSpend", "current_spend"]


class BudgetAccount(models.Model):
    """One row per tenant: the lock every budget change of the tenant takes first."""

    tenant_id = models.CharField(max_length=64, unique=True)

    class Meta:
        db_table = "netrun_llm_budget_account"

    def __str__(self) -> str:
        return tenant_label(self.tenant_id)


class BudgetSpend(models.Model):
    """Spent and reserved micro-dollars of one tenant, or of one user, API key or tag of it
    (a scope), in one period.

    ``period`` is the window's period key: ``day`` or ``month`` for the tenant itself, the
    scope before the period below it (``user:42/day``, ``tag:summary/week``, ``key:svc/5h-10``
    for 5 hours from 10:00 UTC), so one unique row per window holds for every scope.
    """

    tenant_id = models.CharField(max_length=64)
    period = models.CharField(max_length=200)
    period_start = models.DateField()
    spent_micros = models.BigIntegerField(default=0)
    reserved_micros = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "netrun_llm_budget_spend"
        verbose_name = "budget spend"
        verbose_name_plural = "budget spend"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "period", "period_start"],
                name="netrun_llm_spend_unique_window",
            )
        ]

    def __str__(self) -> str:
        return f"{tenant_label(self.tenant_id)} {self.period} {self.period_start}"

    @property
    def spent_usd(self) -> Decimal:
        return from_micros(self.spent_micros)

    @property
    def reserved_usd(self) -> Decimal:
        return from_micros(self.reserved_micros)


class BudgetReservation(models.Model):
    """A hold on a budget for one call in flight; stale ones are swept by the next reserve."""

    id = models.CharField(max_length=32, primary_key=True)
    tenant_id = models.CharField(max_length=64)
    amount_micros = models.BigIntegerField()
    windows = models.TextField()
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "netrun_llm_budget_reservation"
        indexes = [
            models.Index(fields=["tenant_id", "expires_at"], name="netrun_llm_res_tenant_exp")
        ]

    def __str__(self) -> str:
        return self.id


def current_spend(tenant_id: str, timezone_name: str = "UTC") -> dict[Period, BudgetSpend | None]:
    """Today's and this month's :class:`BudgetSpend` rows of a tenant (``None`` if none yet)."""
    now = dt.datetime.now(dt.timezone.utc)
    result: dict[Period, BudgetSpend | None] = {}
    for window in windows_for(now, daily_limit=None, monthly_limit=None, timezone=timezone_name):
        result[window.period] = BudgetSpend.objects.filter(
            tenant_id=tenant_id, period=window.period.value, period_start=window.start
        ).first()
    return result
