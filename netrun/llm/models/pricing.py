"""Prices edited in the admin: :class:`LLMPriceOverride` wins over ``NETRUN_LLM_PRICES`` and
the built-in table (see :mod:`netrun.llm.policy.django`, which reads these rows)."""

from __future__ import annotations

from typing import Any

from django.db import models

__all__ = ["LLMPriceOverride"]


def _price_field(help_text: str = "", *, null: bool = False) -> models.DecimalField[Any, Any]:
    # Per-1M prices go down to fractions of a cent (Gemini Flash cache reads: 0.01875).
    return models.DecimalField(
        max_digits=12, decimal_places=6, null=null, blank=null, help_text=help_text
    )


class LLMPriceOverride(models.Model):
    """A price in USD per 1M tokens edited in the admin; wins over settings and the built-in table.

    Empty cache prices mean "same as input"; the long-context prices apply, when a threshold
    is set, to calls whose prompt (input + cache read + cache write) exceeds it.
    """

    provider = models.CharField(max_length=32, help_text="openai, azure_openai, anthropic, ...")
    model = models.CharField(max_length=128, help_text="Base model name; snapshots match it.")
    effective_from = models.DateField()
    input_per_mtok = _price_field("USD per 1M uncached input tokens.")
    output_per_mtok = _price_field("USD per 1M output tokens (reasoning included).")
    cache_read_per_mtok = _price_field("Empty: the input price.", null=True)
    cache_write_per_mtok = _price_field("Empty: the input price.", null=True)
    long_context_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="Prompt tokens above which the prices below apply."
    )
    long_context_input_per_mtok = _price_field(null=True)
    long_context_output_per_mtok = _price_field(null=True)
    long_context_cache_read_per_mtok = _price_field(null=True)
    long_context_cache_write_per_mtok = _price_field(null=True)
    note = models.CharField(max_length=200, blank=True, help_text="Why (contract, region...).")
    updated = models.DateTimeField(auto_now=True)

    objects: models.Manager[LLMPriceOverride] = models.Manager()

    class Meta:
        db_table = "netrun_llm_price_override"
        verbose_name = "LLM price override"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "model", "effective_from"],
                name="netrun_llm_price_one_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} from {self.effective_from}"
