"""``LLMUsageRecord``: one row per LLM request, written by the telemetry database sink; and
the spend dashboard's admin entry (:class:`Dashboard`, a proxy of it).

Rows are keyed by a plain, indexed ``tenant_id`` string, like the policy and budget tables of
this app: the LLM tables stay independent of the tenant model and of ``netrun.rbac``'s
migrations. ``cost_usd`` is NULL for a model without a known price (never 0, which would
make it look free).
"""

from __future__ import annotations

from django.db import models

__all__ = ["Dashboard", "LLMUsageRecord"]


class LLMUsageRecord(models.Model):
    """What one LLM request cost, how long it took and who it was for."""

    tenant_id = models.CharField(max_length=64, blank=True, default="")
    user_id = models.CharField(max_length=64, blank=True, default="")
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=128)
    operation = models.CharField(max_length=32, default="chat")
    success = models.BooleanField(default=True)
    error_type = models.CharField(max_length=64, blank=True, default="")
    latency_ms = models.FloatField()
    ttft_ms = models.FloatField(null=True, blank=True, help_text="Time to first token (streams).")
    input_tokens = models.PositiveIntegerField(default=0, help_text="Uncached prompt tokens.")
    cache_read_tokens = models.PositiveIntegerField(default=0)
    cache_write_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0, help_text="Reasoning included.")
    reasoning_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(
        max_digits=20,
        decimal_places=10,
        null=True,
        blank=True,
        help_text="Empty when the model has no known price.",
    )
    correlation_id = models.CharField(max_length=64, blank=True, default="")
    trace_id = models.CharField(max_length=32, blank=True, default="")
    created = models.DateTimeField(help_text="When the request started.")

    objects: models.Manager[LLMUsageRecord] = models.Manager()

    class Meta:
        app_label = "netrun_llm"
        db_table = "netrun_llm_usage_record"
        verbose_name = "LLM usage record"
        indexes = [
            # Every report filters on a time window, most of them on one tenant too.
            models.Index(fields=["tenant_id", "created"], name="netrun_llm_usage_tenant_idx"),
            models.Index(fields=["created"], name="netrun_llm_usage_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} for {self.tenant_id or '-'} at {self.created:%Y-%m-%d %H:%M}"


class Dashboard(LLMUsageRecord):
    """The admin's spend dashboard: no table of its own. Registered in the admin, this proxy
    gives the page its URL inside the admin site (``/admin/netrun_llm/dashboard/``, so the
    admin's catch-all cannot hide it) and its link on the admin index."""

    class Meta:
        proxy = True
        app_label = "netrun_llm"
        verbose_name = "spend dashboard"
        verbose_name_plural = "spend dashboard"
        default_permissions = ()  # any staff user may open it; the page scopes what they see
