# Prices edited in the admin (netrun.llm.models.LLMPriceOverride), per 1M tokens.

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("netrun_llm", "0002_llm_usage_record"),
    ]

    operations = [
        migrations.CreateModel(
            name="LLMPriceOverride",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "provider",
                    models.CharField(
                        help_text="openai, azure_openai, anthropic, ...", max_length=32
                    ),
                ),
                (
                    "model",
                    models.CharField(
                        help_text="Base model name; snapshots match it.", max_length=128
                    ),
                ),
                ("effective_from", models.DateField()),
                (
                    "input_per_mtok",
                    models.DecimalField(
                        decimal_places=6,
                        help_text="USD per 1M uncached input tokens.",
                        max_digits=12,
                    ),
                ),
                (
                    "output_per_mtok",
                    models.DecimalField(
                        decimal_places=6,
                        help_text="USD per 1M output tokens (reasoning included).",
                        max_digits=12,
                    ),
                ),
                (
                    "cache_read_per_mtok",
                    models.DecimalField(
                        blank=True,
                        decimal_places=6,
                        help_text="Empty: the input price.",
                        max_digits=12,
                        null=True,
                    ),
                ),
                (
                    "cache_write_per_mtok",
                    models.DecimalField(
                        blank=True,
                        decimal_places=6,
                        help_text="Empty: the input price.",
                        max_digits=12,
                        null=True,
                    ),
                ),
                (
                    "long_context_threshold",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Prompt tokens above which the prices below apply.",
                        null=True,
                    ),
                ),
                (
                    "long_context_input_per_mtok",
                    models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True),
                ),
                (
                    "long_context_output_per_mtok",
                    models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True),
                ),
                (
                    "long_context_cache_read_per_mtok",
                    models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True),
                ),
                (
                    "long_context_cache_write_per_mtok",
                    models.DecimalField(blank=True, decimal_places=6, max_digits=12, null=True),
                ),
                (
                    "note",
                    models.CharField(
                        blank=True, help_text="Why (contract, region...).", max_length=200
                    ),
                ),
                ("updated", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "LLM price override",
                "db_table": "netrun_llm_price_override",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("provider", "model", "effective_from"),
                        name="netrun_llm_price_one_per_day",
                    )
                ],
            },
        ),
    ]
