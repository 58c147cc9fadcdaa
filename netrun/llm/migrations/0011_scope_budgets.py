"""Budgets per user, API key and feature tag (issue 17 item 1): ``ScopeBudgetRecord``, behind
the same row-level security as the tenant policies (migration 0006) where the project migrates
through netrun's PostgreSQL backend."""

from __future__ import annotations

from django.core import validators
from django.db import migrations, models

from netrun.rbac.db.operations import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0010_budget_scope_ledger")]

    operations = [
        migrations.CreateModel(
            name="ScopeBudgetRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("tenant_id", models.CharField(db_index=True, max_length=64)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("user", "User"),
                            ("key", "API key or service account"),
                            ("tag", "Feature tag"),
                        ],
                        max_length=8,
                    ),
                ),
                (
                    "value",
                    models.CharField(
                        blank=True,
                        help_text=(
                            "The user's ID, the API key's ID or the tag; blank: every user "
                            "(key, tag) of the tenant, each with this limit of its own."
                        ),
                        max_length=128,
                    ),
                ),
                (
                    "limit_usd",
                    models.DecimalField(
                        decimal_places=4, max_digits=12, verbose_name="limit (USD)"
                    ),
                ),
                (
                    "period",
                    models.CharField(
                        choices=[
                            ("day", "Day"),
                            ("week", "Week (ISO, from Monday)"),
                            ("month", "Month"),
                            ("hours", "Every N hours"),
                        ],
                        help_text=(
                            "Days, weeks and months run in the tenant policy's time zone; "
                            "N-hour windows are counted from the epoch in UTC (a 5-hour budget "
                            "resets every 5 hours)."
                        ),
                        max_length=8,
                    ),
                ),
                (
                    "hours",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text=(
                            "The window's length, for the period 'Every N hours' only (1 to 744)."
                        ),
                        null=True,
                        validators=[
                            validators.MinValueValidator(1),
                            validators.MaxValueValidator(744),
                        ],
                    ),
                ),
                (
                    "alert_thresholds",
                    models.CharField(
                        blank=True,
                        help_text=(
                            "Percentages of the limit that alert, e.g. 50, 80, 100; blank: "
                            "the default."
                        ),
                        max_length=64,
                    ),
                ),
                ("enabled", models.BooleanField(default=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "LLM scope budget",
                "verbose_name_plural": "LLM scope budgets",
                "db_table": "netrun_llm_scope_budget",
                "ordering": ("tenant_id", "kind", "value", "period", "hours"),
            },
        ),
        migrations.AddConstraint(
            model_name="scopebudgetrecord",
            constraint=models.UniqueConstraint(
                condition=models.Q(("hours__isnull", True)),
                fields=("tenant_id", "kind", "value", "period"),
                name="netrun_llm_scope_budget_one_per_period",
                violation_error_message="This tenant already has this budget for this scope.",
            ),
        ),
        migrations.AddConstraint(
            model_name="scopebudgetrecord",
            constraint=models.UniqueConstraint(
                condition=models.Q(("hours__isnull", False)),
                fields=("tenant_id", "kind", "value", "period", "hours"),
                name="netrun_llm_scope_budget_one_per_hours",
                violation_error_message="This tenant already has this budget for this scope.",
            ),
        ),
        EnableRLS("ScopeBudgetRecord", tenant_field="tenant_id", rls_backend_only=True),
    ]
