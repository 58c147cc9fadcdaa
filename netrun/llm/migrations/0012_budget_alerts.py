"""Budget alerts that fire once (issue 17 item 2): one row per tenant, scope, window and
threshold, under row-level security like the other tenant tables."""

from __future__ import annotations

import uuid

import django.utils.timezone
from django.db import migrations, models

from netrun.rbac.db.operations import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0011_scope_budgets")]

    operations = [
        migrations.CreateModel(
            name="BudgetAlert",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("tenant_id", models.CharField(max_length=64)),
                (
                    "scope",
                    models.CharField(
                        default="tenant", help_text="tenant, user:<id>, ...", max_length=200
                    ),
                ),
                ("period", models.CharField(max_length=8)),
                ("period_start", models.DateField()),
                (
                    "window_key",
                    models.CharField(help_text="Scope, period and start.", max_length=255),
                ),
                ("threshold", models.PositiveSmallIntegerField(help_text="Percent of the limit.")),
                (
                    "spent_micros",
                    models.BigIntegerField(help_text="Settled spend when it fired."),
                ),
                ("limit_micros", models.BigIntegerField()),
                ("fired_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "delivery",
                    models.CharField(
                        choices=[
                            ("none", "no webhook"),
                            ("pending", "pending"),
                            ("delivered", "delivered"),
                            ("failed", "failed"),
                        ],
                        default="none",
                        max_length=10,
                    ),
                ),
                (
                    "attempts",
                    models.PositiveIntegerField(default=0, help_text="Webhook requests sent."),
                ),
                ("delivered_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.CharField(blank=True, max_length=300)),
            ],
            options={
                "verbose_name": "budget alert",
                "db_table": "netrun_llm_budget_alert",
                "ordering": ("-fired_at",),
                "indexes": [
                    models.Index(fields=["tenant_id", "fired_at"], name="netrun_llm_alert_tenant")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("tenant_id", "scope", "window_key", "threshold"),
                        name="netrun_llm_alert_once",
                    )
                ],
            },
        ),
        EnableRLS("BudgetAlert", tenant_field="tenant_id", rls_backend_only=True),
    ]
