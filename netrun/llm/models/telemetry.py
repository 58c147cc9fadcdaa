"""``LLMUsageRecord``: one row per LLM request, written by the telemetry database sink; and
the spend dashboard's admin entry (:class:`Dashboard`, a proxy of it).

Rows are keyed by a plain, indexed ``tenant_id`` string, like the policy and budget tables of
this app: the LLM tables stay independent of the tenant model and of ``netrun.rbac``'s
migrations. ``cost_usd`` is NULL for a model without a known price (never 0, which would
make it look free).

Who a request was for below the tenant (issue 17): ``user_id``, ``api_key`` (the id of an API
key or service account, never its secret) and the feature ``tags``. The tags are kept twice:
as a comma-separated ``tags`` text on the record, to read one record, and as one
:class:`LLMUsageTag` row per tag, to filter and group by tag with an index on PostgreSQL and
SQLite alike (a JSON list would need a GIN index on PostgreSQL and a table-valued
``json_each`` on SQLite, and could not be grouped by the same query on both).
"""

from __future__ import annotations

from django.db import models

__all__ = ["Dashboard", "LLMUsageRecord", "LLMUsageTag"]


class LLMUsageRecord(models.Model):
    """What one LLM request cost, how long it took and who it was for."""

    tenant_id = models.CharField(max_length=64, blank=True, default="")
    user_id = models.CharField(max_length=64, blank=True, default="")
    api_key = models.CharField(
        max_length=128, blank=True, default="", help_text="API key or service account id."
    )
    tags = models.CharField(
        max_length=600, blank=True, default="", help_text="Feature tags, comma-separated."
    )
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
            # Reports of one user or API key (the dashboard's filters).
            models.Index(
                fields=["tenant_id", "user_id", "created"], name="netrun_llm_usage_user_idx"
            ),
            models.Index(
                fields=["tenant_id", "api_key", "created"], name="netrun_llm_usage_key_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} for {self.tenant_id or '-'} at {self.created:%Y-%m-%d %H:%M}"


class LLMUsageTag(models.Model):
    """One feature tag of one usage record: what reports filter and group by tag on.

    ``tenant_id`` and ``created`` repeat the record's, so a tag's requests of a window are
    found by index (and row-level security covers the table like the records').
    """

    record = models.ForeignKey(LLMUsageRecord, on_delete=models.CASCADE, related_name="tag_rows")
    tenant_id = models.CharField(max_length=64, blank=True, default="")
    tag = models.CharField(max_length=64)
    created = models.DateTimeField(help_text="When the request started.")

    objects: models.Manager[LLMUsageTag] = models.Manager()

    class Meta:
        app_label = "netrun_llm"
        db_table = "netrun_llm_usage_tag"
        verbose_name = "LLM usage record tag"
        indexes = [
            models.Index(fields=["tenant_id", "tag", "created"], name="netrun_llm_tag_tenant_idx"),
            models.Index(fields=["tag", "created"], name="netrun_llm_tag_created_idx"),
            # Grouping a window's records by tag reads the window's tags.
            models.Index(fields=["created"], name="netrun_llm_tag_window_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "record", "tag"], name="netrun_llm_usage_tag_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tag} on record {self.record_id}"


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
