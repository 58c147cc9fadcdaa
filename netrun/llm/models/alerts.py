"""Budget alerts that fired: one row per tenant, scope, window and threshold, ever.

The unique constraint is what makes an alert fire once across processes: the process whose
row lands claims the alert (:class:`~netrun.llm.policy.alerts_django.DjangoAlertStore`), every
other one finds the row there. The webhook task records its delivery on the row.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.utils import timezone

from netrun.llm.models._tenant import tenant_label
from netrun.llm.policy.ledgers.base import from_micros

__all__ = ["BudgetAlert"]


class BudgetAlert(models.Model):
    """A soft threshold (a percentage of a window's limit) a tenant's settled spend reached."""

    #: Webhook delivery states: no webhook configured, enqueued or retrying, done, given up.
    NO_WEBHOOK = "none"
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"

    #: Also the webhook's ``Idempotency-Key``: stable across its retries.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.CharField(max_length=64)
    scope = models.CharField(max_length=200, default="tenant", help_text="tenant, user:<id>, ...")
    period = models.CharField(max_length=8)
    period_start = models.DateField()
    window_key = models.CharField(max_length=255, help_text="Scope, period and start.")
    threshold = models.PositiveSmallIntegerField(help_text="Percent of the limit.")
    spent_micros = models.BigIntegerField(help_text="Settled spend when it fired.")
    limit_micros = models.BigIntegerField()
    fired_at = models.DateTimeField(default=timezone.now)
    delivery = models.CharField(
        max_length=10,
        choices=[
            (NO_WEBHOOK, "no webhook"),
            (PENDING, "pending"),
            (DELIVERED, "delivered"),
            (FAILED, "failed"),
        ],
        default=NO_WEBHOOK,
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Webhook requests sent.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    objects: models.Manager[BudgetAlert] = models.Manager()

    class Meta:
        db_table = "netrun_llm_budget_alert"
        verbose_name = "budget alert"
        ordering = ("-fired_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "scope", "window_key", "threshold"],
                name="netrun_llm_alert_once",
            )
        ]
        indexes = [models.Index(fields=["tenant_id", "fired_at"], name="netrun_llm_alert_tenant")]

    def __str__(self) -> str:
        return f"{tenant_label(self.tenant_id)} {self.scope} {self.window_key} {self.threshold}%"

    @property
    def spent_usd(self) -> Decimal:
        return from_micros(self.spent_micros)

    @property
    def limit_usd(self) -> Decimal:
        return from_micros(self.limit_micros)
