"""Telemetry by user, API key and feature tag (issue 17 item 4).

The usage records gain ``api_key`` and ``tags`` (and indexes by user and key); one
``LLMUsageTag`` row per tag of a record; the hourly rollup counts refusals; and a rollup per
day and user, key or tag (``LLMUsageScopeDaily``). The rollups of the records already there
are recomputed once, so refusals and the scope rollups cover them too. Both new tables hold a
``tenant_id`` and get the row-level security of the other tenant tables.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

from netrun.rbac.db.operations import EnableRLS


def roll_up_existing_records(apps: Any, schema_editor: Any) -> None:
    # As in 0004: the rollup code uses the current models, which match the tables here.
    from netrun.llm.telemetry.sinks.rollup import rebuild_rollups

    rebuild_rollups(using=schema_editor.connection.alias)


_SUMS = (
    "requests",
    "failed",
    "refused",
    "unpriced",
)
_TOKENS = (
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
)


class Migration(migrations.Migration):
    dependencies = [("netrun_llm", "0008_model_alias")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.AddField(
            model_name="llmusagerecord",
            name="api_key",
            field=models.CharField(
                blank=True, default="", help_text="API key or service account id.", max_length=128
            ),
        ),
        migrations.AddField(
            model_name="llmusagerecord",
            name="tags",
            field=models.CharField(
                blank=True, default="", help_text="Feature tags, comma-separated.", max_length=600
            ),
        ),
        migrations.AddIndex(
            model_name="llmusagerecord",
            index=models.Index(
                fields=["tenant_id", "user_id", "created"], name="netrun_llm_usage_user_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="llmusagerecord",
            index=models.Index(
                fields=["tenant_id", "api_key", "created"], name="netrun_llm_usage_key_idx"
            ),
        ),
        migrations.CreateModel(
            name="LLMUsageTag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("tenant_id", models.CharField(blank=True, default="", max_length=64)),
                ("tag", models.CharField(max_length=64)),
                ("created", models.DateTimeField(help_text="When the request started.")),
                (
                    "record",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tag_rows",
                        to="netrun_llm.llmusagerecord",
                    ),
                ),
            ],
            options={
                "verbose_name": "LLM usage record tag",
                "db_table": "netrun_llm_usage_tag",
                "indexes": [
                    models.Index(
                        fields=["tenant_id", "tag", "created"], name="netrun_llm_tag_tenant_idx"
                    ),
                    models.Index(fields=["tag", "created"], name="netrun_llm_tag_created_idx"),
                    models.Index(fields=["created"], name="netrun_llm_tag_window_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("tenant_id", "record", "tag"), name="netrun_llm_usage_tag_key"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="llmusagehourly",
            name="refused",
            field=models.PositiveBigIntegerField(
                default=0, help_text="Refused by the policy or a budget (in failed too)."
            ),
        ),
        migrations.CreateModel(
            name="LLMUsageScopeDaily",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(help_text="The day, UTC.")),
                ("tenant_id", models.CharField(blank=True, default="", max_length=64)),
                ("kind", models.CharField(max_length=8)),
                ("value", models.CharField(blank=True, default="", max_length=128)),
                *((name, models.PositiveBigIntegerField(default=0)) for name in _SUMS),
                (
                    "cost_usd",
                    models.DecimalField(
                        decimal_places=10,
                        default=0,
                        help_text="Priced requests only.",
                        max_digits=24,
                    ),
                ),
                *((name, models.PositiveBigIntegerField(default=0)) for name in _TOKENS),
                ("latency_sum_ms", models.FloatField(default=0.0)),
            ],
            options={
                "verbose_name": "LLM usage per day and scope",
                "verbose_name_plural": "LLM usage per day and scope",
                "db_table": "netrun_llm_usage_scope_daily",
                "indexes": [
                    models.Index(fields=["tenant_id", "day"], name="netrun_llm_scope_tenant_idx"),
                    models.Index(fields=["kind", "day"], name="netrun_llm_scope_kind_idx"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "tenant_id", "kind", "value"),
                        name="netrun_llm_usage_scope_daily_key",
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="llmlatencyhistogram",
            index=models.Index(
                fields=["dimension", "day", "key"], name="netrun_llm_histogram_dim_idx"
            ),
        ),
        EnableRLS("LLMUsageTag", tenant_field="tenant_id", rls_backend_only=True),
        EnableRLS("LLMUsageScopeDaily", tenant_field="tenant_id", rls_backend_only=True),
        migrations.RunPython(roll_up_existing_records, migrations.RunPython.noop),
    ]
