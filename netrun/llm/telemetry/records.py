"""The values telemetry passes around: one request's record, and aggregates of many.

Token counts follow :class:`netrun.llm.types.Usage`: four disjoint prompt/output counts, so a
price table multiplies each by its own rate, plus ``reasoning_tokens`` as the informational
part of ``output_tokens``.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from netrun.llm.types import TokenCounts

__all__ = [
    "SCOPE_KINDS",
    "AggregatedMetrics",
    "Breakdown",
    "Granularity",
    "LLMRequestMetrics",
    "MetricsQuery",
    "ScopeKind",
    "TimeBucket",
    "is_refusal",
]

Granularity = Literal["hour", "day", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("hour", "day", "month")

#: What a report can be grouped by below the tenant (:attr:`MetricsQuery.group_by`).
ScopeKind = Literal["user", "key", "tag"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("user", "key", "tag")

#: Per scope, how many values the Prometheus sink labels by default (the rest are "other"),
#: and the most it accepts (``NETRUN_LLM_METRICS_TOP_N``, system check netrun.llm.E030).
DEFAULT_TOP_N = 10
MAX_TOP_N = 100

#: ``error_type`` of a request the policy or the budget refused: ``policy:<rule>`` and
#: ``budget:<rule>``, or the bare code when the refusal named no rule.
REFUSAL_PREFIXES = ("policy:", "budget:")
UNRULED_REFUSALS = ("LLM_POLICY_VIOLATION", "BUDGET_EXCEEDED")


def is_refusal(error_type: str | None) -> bool:
    """Whether a record's ``error_type`` says the policy or a budget refused the request."""
    if not error_type:
        return False
    return error_type.startswith(REFUSAL_PREFIXES) or error_type in UNRULED_REFUSALS


@dataclass(slots=True)
class LLMRequestMetrics(TokenCounts):
    """What happened in one LLM request: who, what, how long, how many tokens, what it cost.

    ``started_at`` is a Unix timestamp (seconds) so that recording stays cheap on the request
    path; :attr:`started` gives the aware ``datetime``. ``cost_usd`` is ``None`` while the
    record waits in the buffer (pricing runs off the request path) and stays ``None`` when
    the model has no known price; ``priced`` then says ``False``, so an unknown model is
    reported and never counted as free.
    """

    provider: str
    model: str
    operation: str = "chat"
    started_at: float = 0.0
    tenant_id: str | None = None
    user_id: str | None = None
    #: The API key or service account id (never its secret), see :mod:`netrun.llm.attribution`.
    api_key: str | None = None
    #: Feature tags (:func:`netrun.llm.attribution.llm_tags`), outermost first.
    tags: tuple[str, ...] = ()
    correlation_id: str | None = None
    trace_id: str | None = None
    parent_span_id: str | None = None
    trace_flags: int = 1
    success: bool = True
    error_type: str | None = None
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal | None = None
    #: ``None`` until priced; then whether a price was found.
    priced: bool | None = None
    response_model: str | None = None
    streamed: bool = False
    attempt: int = 1
    fallback_reason: str | None = None

    @property
    def started(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.started_at, dt.timezone.utc)

    @property
    def ended_at(self) -> float:
        return self.started_at + self.latency_ms / 1000.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly fields (the cost as a string, so no precision is lost)."""
        return {
            "provider": self.provider,
            "model": self.model,
            "operation": self.operation,
            "started": self.started.isoformat(),
            "tenant_id": self.tenant_id,
            "user_id": self.user_id,
            "api_key": self.api_key,
            "tags": list(self.tags),
            "correlation_id": self.correlation_id,
            "trace_id": self.trace_id,
            "success": self.success,
            "error_type": self.error_type,
            "latency_ms": round(self.latency_ms, 3),
            "ttft_ms": None if self.ttft_ms is None else round(self.ttft_ms, 3),
            "input_tokens": self.input_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost_usd": None if self.cost_usd is None else str(self.cost_usd),
            "priced": self.priced,
        }


@dataclass(frozen=True)
class MetricsQuery:
    """What :meth:`TelemetryCollector.get_aggregated_metrics` asks an aggregation source.

    The window is half-open: ``since <= started < until``. ``tenant_id=None`` means every
    tenant. ``user_id``, ``api_key`` and ``tag`` keep the requests of that user, API key or
    feature tag; ``group_by`` (``"user"``, ``"key"`` or ``"tag"``) adds
    :attr:`AggregatedMetrics.by_scope`.
    """

    since: dt.datetime
    until: dt.datetime
    tenant_id: str | None = None
    provider: str | None = None
    model: str | None = None
    granularity: Granularity = "hour"
    user_id: str | None = None
    api_key: str | None = None
    tag: str | None = None
    group_by: ScopeKind | None = None

    @property
    def scope_filtered(self) -> bool:
        """Whether the query keeps only one user, API key or tag."""
        return self.user_id is not None or self.api_key is not None or self.tag is not None

    def __post_init__(self) -> None:
        if self.group_by is not None and self.group_by not in SCOPE_KINDS:
            raise ValueError(
                f"group_by must be one of {', '.join(SCOPE_KINDS)} or None, not {self.group_by!r}"
            )
        if self.granularity not in GRANULARITIES:
            raise ValueError(
                f"granularity must be one of {', '.join(GRANULARITIES)}, not {self.granularity!r}"
            )
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("since and until must be timezone-aware datetimes")


@dataclass(frozen=True)
class Breakdown(TokenCounts):
    """Totals of one group: a provider, a ``provider/model`` pair, a tenant, or a user, API
    key or tag (``""``: the requests without a user or key). ``refused`` counts the requests
    the policy or a budget refused (:func:`is_refusal`); they are in ``failed`` too."""

    key: str
    requests: int
    failed: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: Decimal
    unpriced_requests: int
    latency_avg_ms: float
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    refused: int = 0

    @property
    def success_rate(self) -> float:
        return (self.requests - self.failed) / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class TimeBucket:
    """One hour, day or month (UTC) of the time series."""

    start: dt.datetime
    requests: int
    failed: int
    total_tokens: int
    cost_usd: Decimal
    latency_avg_ms: float


@dataclass(frozen=True)
class AggregatedMetrics(TokenCounts):
    """Totals, rates and latency percentiles of the requests in a window.

    Latencies are milliseconds; percentiles interpolate linearly between the two nearest
    ranks (PostgreSQL's ``percentile_cont``). With no request in the window every count is 0
    and every latency 0.0: check :attr:`total_requests`. ``total_cost_usd`` sums the priced
    requests only; ``unpriced_requests`` counts the others.
    """

    since: dt.datetime
    until: dt.datetime
    granularity: Granularity
    tenant_id: str | None
    total_requests: int
    failed_requests: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    total_cost_usd: Decimal
    unpriced_requests: int
    latency_avg_ms: float
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    by_provider: dict[str, Breakdown] = field(default_factory=dict)
    by_model: dict[str, Breakdown] = field(default_factory=dict)
    by_tenant: dict[str, Breakdown] = field(default_factory=dict)
    time_series: list[TimeBucket] = field(default_factory=list)
    #: ``True`` when the percentiles come from histograms (within 1%), not from every value.
    percentiles_estimated: bool = False
    #: Requests the policy or a budget refused (counted in ``failed_requests`` too).
    refused_requests: int = 0
    #: The query's ``group_by``, and its groups: one per user, API key or tag, by value. A
    #: request with two tags is in both tag groups; a request without a tag in none.
    group_by: ScopeKind | None = None
    by_scope: dict[str, Breakdown] = field(default_factory=dict)

    @classmethod
    def from_overall(
        cls, query: MetricsQuery, overall: Breakdown, **rest: Any
    ) -> AggregatedMetrics:
        """The report of ``query`` whose totals are the ``overall`` breakdown's."""
        return cls(
            since=query.since,
            until=query.until,
            granularity=query.granularity,
            tenant_id=query.tenant_id,
            total_requests=overall.requests,
            failed_requests=overall.failed,
            input_tokens=overall.input_tokens,
            cache_read_tokens=overall.cache_read_tokens,
            cache_write_tokens=overall.cache_write_tokens,
            output_tokens=overall.output_tokens,
            reasoning_tokens=overall.reasoning_tokens,
            total_cost_usd=overall.cost_usd,
            unpriced_requests=overall.unpriced_requests,
            latency_avg_ms=overall.latency_avg_ms,
            latency_p50_ms=overall.latency_p50_ms,
            latency_p95_ms=overall.latency_p95_ms,
            latency_p99_ms=overall.latency_p99_ms,
            refused_requests=overall.refused,
            group_by=query.group_by,
            **rest,
        )

    @property
    def successful_requests(self) -> int:
        return self.total_requests - self.failed_requests

    @property
    def success_rate(self) -> float:
        """Share of successful requests, 0.0 to 1.0 (0.0 when there were none)."""
        return self.successful_requests / self.total_requests if self.total_requests else 0.0
