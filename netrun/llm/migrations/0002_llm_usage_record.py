# The telemetry table (netrun.llm.telemetry_models.LLMUsageRecord): one row per LLM request.

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("netrun_llm", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="LLMUsageRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("tenant_id", models.CharField(blank=True, default="", max_length=64)),
                ("user_id", models.CharField(blank=True, default="", max_length=64)),
                ("provider", models.CharField(max_length=32)),
                ("model", models.CharField(max_length=128)),
                ("operation", models.CharField(default="chat", max_length=32)),
                ("success", models.BooleanField(default=True)),
                ("error_type", models.CharField(blank=True, default="", max_length=64)),
                ("latency_ms", models.FloatField()),
                (
                    "ttft_ms",
                    models.FloatField(
                        blank=True, help_text="Time to first token (streams).", null=True
                    ),
                ),
                (
                    "input_tokens",
                    models.PositiveIntegerField(default=0, help_text="Uncached prompt tokens."),
                ),
                ("cache_read_tokens", models.PositiveIntegerField(default=0)),
                ("cache_write_tokens", models.PositiveIntegerField(default=0)),
                (
                    "output_tokens",
                    models.PositiveIntegerField(default=0, help_text="Reasoning included."),
                ),
                ("reasoning_tokens", models.PositiveIntegerField(default=0)),
                (
                    "cost_usd",
                    models.DecimalField(
                        blank=True,
                        decimal_places=10,
                        help_text="Empty when the model has no known price.",
                        max_digits=20,
                        null=True,
                    ),
                ),
                ("correlation_id", models.CharField(blank=True, default="", max_length=64)),
                ("trace_id", models.CharField(blank=True, default="", max_length=32)),
                ("created", models.DateTimeField(help_text="When the request started.")),
            ],
            options={
                "verbose_name": "LLM usage record",
                "db_table": "netrun_llm_usage_record",
                "indexes": [
                    models.Index(
                        fields=["tenant_id", "created"], name="netrun_llm_usage_tenant_idx"
                    ),
                    models.Index(fields=["created"], name="netrun_llm_usage_created_idx"),
                ],
            },
        ),
    ]
