# Hourly totals and daily latency histograms of LLM usage (netrun.llm.telemetry.sinks.rollup),
# filled from the records already there by 0009 (the roll-up needs the tables as 0009 leaves them).

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def roll_up_existing_records(apps: Any, schema_editor: Any) -> None:
    """Nothing since 0009: the rollup code uses the current models, whose tables are only
    complete once 0009 has run, and 0009 rolls every existing record up itself."""


class Migration(migrations.Migration):
    dependencies = [
        ("netrun_llm", "0003_llm_price_override"),
    ]

    operations = [
        migrations.CreateModel(
            name="LLMLatencyHistogram",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("dimension", models.CharField(max_length=8)),
                ("key", models.CharField(blank=True, default="", max_length=200)),
                ("bucket", models.IntegerField()),
                ("count", models.PositiveBigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "LLM latency histogram bucket",
                "db_table": "netrun_llm_latency_histogram",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "dimension", "key", "bucket"),
                        name="netrun_llm_latency_histogram_key",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="LLMUsageHourly",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hour", models.DateTimeField(help_text="Start of the hour, UTC.")),
                ("tenant_id", models.CharField(blank=True, default="", max_length=64)),
                ("provider", models.CharField(max_length=32)),
                ("model", models.CharField(max_length=128)),
                ("requests", models.PositiveBigIntegerField(default=0)),
                ("failed", models.PositiveBigIntegerField(default=0)),
                ("unpriced", models.PositiveBigIntegerField(default=0)),
                (
                    "cost_usd",
                    models.DecimalField(
                        decimal_places=10,
                        default=0,
                        help_text="Priced requests only.",
                        max_digits=24,
                    ),
                ),
                ("input_tokens", models.PositiveBigIntegerField(default=0)),
                ("cache_read_tokens", models.PositiveBigIntegerField(default=0)),
                ("cache_write_tokens", models.PositiveBigIntegerField(default=0)),
                ("output_tokens", models.PositiveBigIntegerField(default=0)),
                ("reasoning_tokens", models.PositiveBigIntegerField(default=0)),
                ("latency_sum_ms", models.FloatField(default=0.0)),
            ],
            options={
                "verbose_name": "LLM usage per hour",
                "verbose_name_plural": "LLM usage per hour",
                "db_table": "netrun_llm_usage_hourly",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("hour", "tenant_id", "provider", "model"),
                        name="netrun_llm_usage_hourly_key",
                    )
                ],
            },
        ),
        migrations.RunPython(roll_up_existing_records, migrations.RunPython.noop),
    ]
