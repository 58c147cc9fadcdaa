"""The rollups of usage records: exact hourly totals and daily latency histograms, which
large reports and the dashboard read instead of every :class:`~netrun.llm.models.LLMUsageRecord`.

Written by the telemetry database sink in the transaction of the records they sum (see
:mod:`netrun.llm.telemetry.sinks.rollup`).
"""

from __future__ import annotations

from django.db import models

__all__ = ["LLMLatencyHistogram", "LLMUsageHourly", "LLMUsageScopeDaily"]


class LLMUsageHourly(models.Model):
    """Exact totals of one hour (UTC), tenant, provider and model: the rollup of usage records.

    Written by the telemetry database sink in the same transaction as the records it sums;
    :func:`netrun.llm.telemetry.sinks.rollup.rebuild_rollups` recomputes it from the records
    (after a bulk import that bypassed the sink, say). Large reports read it instead of
    every record.
    """

    hour = models.DateTimeField(help_text="Start of the hour, UTC.")
    tenant_id = models.CharField(max_length=64, blank=True, default="")
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=128)
    requests = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0)
    refused = models.PositiveBigIntegerField(
        default=0, help_text="Refused by the policy or a budget (in failed too)."
    )
    unpriced = models.PositiveBigIntegerField(default=0)
    cost_usd = models.DecimalField(
        max_digits=24, decimal_places=10, default=0, help_text="Priced requests only."
    )
    input_tokens = models.PositiveBigIntegerField(default=0)
    cache_read_tokens = models.PositiveBigIntegerField(default=0)
    cache_write_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    reasoning_tokens = models.PositiveBigIntegerField(default=0)
    latency_sum_ms = models.FloatField(default=0.0)

    objects: models.Manager[LLMUsageHourly] = models.Manager()

    class Meta:
        app_label = "netrun_llm"
        db_table = "netrun_llm_usage_hourly"
        verbose_name = "LLM usage per hour"
        verbose_name_plural = "LLM usage per hour"
        indexes = [
            # Row-level security compares tenant_id on every read: an index must start with it.
            models.Index(fields=["tenant_id", "hour"], name="netrun_llm_hourly_tenant_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "tenant_id", "provider", "model"],
                name="netrun_llm_usage_hourly_key",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.provider}/{self.model} for {self.tenant_id or '-'} at {self.hour:%Y-%m-%d %H}h"
        )


class LLMUsageScopeDaily(models.Model):
    """Exact totals of one day (UTC), tenant and user, API key or feature tag.

    ``kind`` is ``"user"``, ``"key"`` or ``"tag"``; ``value`` the user id, key id or tag. A
    request counts once for its user (``""`` when none), once for its key (``""`` when none)
    and once per tag. Written with :class:`LLMUsageHourly`, read by reports grouped by user,
    key or tag over large windows (which read whole days from the rollups). Per day, not per
    hour: thousands of users each make few requests an hour, and an hourly row per user
    would be nearly one row per request.
    """

    day = models.DateField(help_text="The day, UTC.")
    tenant_id = models.CharField(max_length=64, blank=True, default="")
    kind = models.CharField(max_length=8)
    value = models.CharField(max_length=128, blank=True, default="")
    requests = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0)
    refused = models.PositiveBigIntegerField(default=0)
    unpriced = models.PositiveBigIntegerField(default=0)
    cost_usd = models.DecimalField(
        max_digits=24, decimal_places=10, default=0, help_text="Priced requests only."
    )
    input_tokens = models.PositiveBigIntegerField(default=0)
    cache_read_tokens = models.PositiveBigIntegerField(default=0)
    cache_write_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    reasoning_tokens = models.PositiveBigIntegerField(default=0)
    latency_sum_ms = models.FloatField(default=0.0)

    objects: models.Manager[LLMUsageScopeDaily] = models.Manager()

    class Meta:
        app_label = "netrun_llm"
        db_table = "netrun_llm_usage_scope_daily"
        verbose_name = "LLM usage per day and scope"
        verbose_name_plural = "LLM usage per day and scope"
        indexes = [
            models.Index(fields=["tenant_id", "day"], name="netrun_llm_scope_tenant_idx"),
            models.Index(fields=["kind", "day"], name="netrun_llm_scope_kind_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "tenant_id", "kind", "value"],
                name="netrun_llm_usage_scope_daily_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.value or '-'} for {self.tenant_id or '-'} on {self.day}"


class LLMLatencyHistogram(models.Model):
    """One bucket of a day's latency histogram (UTC) for a provider/model, a tenant, a user,
    an API key, a feature tag, or TTFT.

    ``dimension`` is ``"model"`` (``key`` = ``provider/model``), ``"tenant"`` (``key`` = the
    tenant ID), ``"user"``, ``"key"`` or ``"tag"`` (``key`` = the user id, key id or tag, over
    every tenant) or ``"ttft"`` (time to first token, ``key`` = ``""``); ``bucket`` is
    :func:`netrun.llm.telemetry.aggregation.histogram_bucket` of the milliseconds.
    """

    day = models.DateField()
    dimension = models.CharField(max_length=8)
    key = models.CharField(max_length=200, blank=True, default="")
    bucket = models.IntegerField()
    count = models.PositiveBigIntegerField(default=0)

    objects: models.Manager[LLMLatencyHistogram] = models.Manager()

    class Meta:
        app_label = "netrun_llm"
        db_table = "netrun_llm_latency_histogram"
        verbose_name = "LLM latency histogram bucket"
        indexes = [
            # A report reads a few dimensions of a range of days; the user, key and tag
            # dimensions hold most of the rows.
            models.Index(fields=["dimension", "day", "key"], name="netrun_llm_histogram_dim_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "dimension", "key", "bucket"],
                name="netrun_llm_latency_histogram_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.key or '-'} {self.day} bucket {self.bucket}: {self.count}"
