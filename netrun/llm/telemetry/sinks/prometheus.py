"""Prometheus metrics of LLM requests (prometheus-client, the ``[prometheus]`` extra).

=============================================  =========  ==========================================
metric                                         type       labels
=============================================  =========  ==========================================
``netrun_llm_requests_total``                  counter    provider, model, operation, status
``netrun_llm_errors_total``                    counter    provider, model, error_type
``netrun_llm_tokens_total``                    counter    provider, model, type (input, cache_read,
                                                          cache_write, output, reasoning)
``netrun_llm_cost_usd_total``                  counter    provider, model
``netrun_llm_unpriced_requests_total``         counter    provider, model
``netrun_llm_fallbacks_total``                 counter    provider, reason (error, policy, budget)
``netrun_llm_request_duration_seconds``        histogram  provider, model, operation
``netrun_llm_time_to_first_token_seconds``     histogram  provider, model
``netrun_llm_budget_remaining_usd``            gauge      tenant, period (``tenant_label=True`` only)
``netrun_llm_scope_requests_total``            counter    scope (user, key, tag), value, status
                                                          (success, error, refused)
``netrun_llm_scope_tokens_total``              counter    scope, value
``netrun_llm_scope_cost_usd_total``            counter    scope, value
``netrun_llm_scope_request_duration_seconds``  histogram  scope, value
=============================================  =========  ==========================================

With ``tenant_label=True`` the request, token and cost counters also carry ``tenant``: useful
with tens of tenants, a cardinality problem with thousands, hence off by default. The same
setting turns on the budget gauge: the sink then listens to every
:class:`~netrun.llm.policies.PolicyEnforcer` of the process
(:func:`~netrun.llm.budgets.base.add_budget_listener`) and sets, after each reservation,
settlement and release, what the tenant has left today and this month (windows with a limit).

With ``scope_labels=True`` the ``scope_*`` metrics count requests, tokens, spend and latency
by user, API key and feature tag (:mod:`netrun.llm.attribution`), with a bounded label
cardinality: per scope, only the ``top_n`` values with the most spend in this process
(default ``NETRUN_LLM_METRICS_TOP_N``, 10) have a ``value`` label of their own; every other
value is counted under ``"other"``, and requests without a user or key under ``"none"``.
So a scope never has more than ``top_n + 2`` series per status. When a value climbs into the
top N it takes the label of the weakest one: that one's request, token and cost counts move
to ``"other"`` and its series are removed (the counters of a scope still add up to every
request; its latency observations leave the histogram), and its later requests count under
``"other"``. Counts made before a value got its label stay in ``"other"``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from decimal import Decimal

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from netrun.llm.budgets.base import add_budget_listener
from netrun.llm.telemetry.aggregation import scope_values
from netrun.llm.telemetry.records import (
    DEFAULT_TOP_N,
    MAX_TOP_N,
    SCOPE_KINDS,
    LLMRequestMetrics,
    is_refusal,
)

__all__ = ["DEFAULT_TOP_N", "LATENCY_BUCKETS", "MAX_TOP_N", "OTHER", "PrometheusSink", "TopN"]

#: Label values of the scope metrics for the values outside the top N, and for no value.
OTHER = "other"
NONE = "none"

#: Seconds; LLM calls run from ~100 ms (cached, small) to minutes (long reasoning).
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class _Metrics:
    def __init__(self, registry: CollectorRegistry, namespace: str, tenant_label: bool) -> None:
        tenant = ("tenant",) if tenant_label else ()
        self.tenant_label = tenant_label
        self.requests = Counter(
            f"{namespace}_requests",
            "LLM requests by outcome.",
            ("provider", "model", "operation", "status", *tenant),
            registry=registry,
        )
        self.errors = Counter(
            f"{namespace}_errors",
            "Failed LLM requests by error type.",
            ("provider", "model", "error_type"),
            registry=registry,
        )
        self.tokens = Counter(
            f"{namespace}_tokens",
            "Tokens of LLM requests by kind.",
            ("provider", "model", "type", *tenant),
            registry=registry,
        )
        self.cost = Counter(
            f"{namespace}_cost_usd",
            "Cost of priced LLM requests in US dollars.",
            ("provider", "model", *tenant),
            registry=registry,
        )
        self.unpriced = Counter(
            f"{namespace}_unpriced_requests",
            "LLM requests whose model has no known price (their cost is not in cost_usd).",
            ("provider", "model"),
            registry=registry,
        )
        self.fallbacks = Counter(
            f"{namespace}_fallbacks",
            "Attempts on a provider that replaced an earlier one.",
            ("provider", "reason"),
            registry=registry,
        )
        self.duration = Histogram(
            f"{namespace}_request_duration_seconds",
            "Latency of LLM requests.",
            ("provider", "model", "operation"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.ttft = Histogram(
            f"{namespace}_time_to_first_token_seconds",
            "Time to the first token of streamed LLM requests.",
            ("provider", "model"),
            buckets=TTFT_BUCKETS,
            registry=registry,
        )
        self.budget_remaining = Gauge(
            f"{namespace}_budget_remaining_usd",
            "Budget left in the current window.",
            ("tenant", "period"),
            registry=registry,
        )


class TopN:
    """Which values of one scope keep a label of their own: the ``n`` with the most spend.

    Spend is tracked for at most ``capacity`` values (the least spending are forgotten when
    it fills up, halving it), so memory stays bounded whatever the number of users.
    """

    def __init__(self, n: int, capacity: int = 10_000) -> None:
        if not 1 <= n <= MAX_TOP_N:
            raise ValueError(f"top_n must be between 1 and {MAX_TOP_N}, not {n!r}")
        self.n = n
        self.capacity = max(capacity, 4 * n)
        self.spend: dict[str, float] = {}
        self.labelled: set[str] = set()

    def label(self, value: str, cost: float) -> tuple[str, str | None]:
        """Add ``cost`` to ``value``'s spend; returns its label, and the value that lost its
        label to it (``None`` when none did)."""
        if value not in self.spend and len(self.spend) >= self.capacity:
            self._forget()
        spend = self.spend[value] = self.spend.get(value, 0.0) + cost
        if value in self.labelled:
            return value, None
        if len(self.labelled) < self.n:
            self.labelled.add(value)
            return value, None
        weakest = min(self.labelled, key=self.spend.__getitem__)
        if spend > self.spend[weakest]:
            self.labelled.discard(weakest)
            self.labelled.add(value)
            return value, weakest
        return OTHER, None

    def _forget(self) -> None:
        ranked = sorted(self.spend, key=self.spend.__getitem__, reverse=True)
        keep = set(ranked[: self.capacity // 2]) | self.labelled
        self.spend = {value: self.spend[value] for value in ranked if value in keep}


_STATUSES = ("success", "error", "refused")


class _ScopeMetrics:
    def __init__(self, registry: CollectorRegistry, namespace: str) -> None:
        self.lock = threading.Lock()
        self.ranks: dict[str, TopN] = {}
        # What each labelled value's counters hold: requests per status, tokens, cost.
        self.held: dict[tuple[str, str], list[float]] = {}
        self.requests = Counter(
            f"{namespace}_scope_requests",
            "LLM requests by user, API key or feature tag (top N by spend, others as 'other').",
            ("scope", "value", "status"),
            registry=registry,
        )
        self.tokens = Counter(
            f"{namespace}_scope_tokens",
            "Tokens of LLM requests by user, API key or feature tag.",
            ("scope", "value"),
            registry=registry,
        )
        self.cost = Counter(
            f"{namespace}_scope_cost_usd",
            "Cost of priced LLM requests in US dollars by user, API key or feature tag.",
            ("scope", "value"),
            registry=registry,
        )
        self.duration = Histogram(
            f"{namespace}_scope_request_duration_seconds",
            "Latency of LLM requests by user, API key or feature tag.",
            ("scope", "value"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def rank(self, kind: str, top_n: int) -> TopN:
        ranks = self.ranks.get(kind)
        if ranks is None or ranks.n != top_n:
            ranks = self.ranks[kind] = TopN(top_n)
        return ranks

    def forget(self, kind: str, value: str) -> None:
        """Move the counts of a value that lost its label to "other"; remove its series."""
        held = self.held.pop((kind, value), None)
        if held is not None:
            for status, count in zip(_STATUSES, held, strict=False):
                if count:
                    self.requests.labels(kind, OTHER, status).inc(count)
            if held[3]:
                self.tokens.labels(kind, OTHER).inc(held[3])
            if held[4]:
                self.cost.labels(kind, OTHER).inc(held[4])
        for status in _STATUSES:
            self.requests.remove(kind, value, status)
        for metric in (self.tokens, self.cost, self.duration):
            metric.remove(kind, value)

    def write(self, records: Sequence[LLMRequestMetrics], top_n: int) -> None:
        with self.lock:
            for record in records:
                cost = float(record.cost_usd or 0)
                if record.success:
                    status = "success"
                else:
                    status = "refused" if is_refusal(record.error_type) else "error"
                tokens = record.total_tokens
                for kind in SCOPE_KINDS:
                    for value in scope_values(record, kind):
                        label = NONE
                        if value:
                            label, dropped = self.rank(kind, top_n).label(value, cost)
                            if dropped is not None:
                                self.forget(kind, dropped)
                            if label != OTHER:
                                held = self.held.setdefault((kind, label), [0.0] * 5)
                                held[_STATUSES.index(status)] += 1
                                held[3] += tokens
                                held[4] += cost
                        self.requests.labels(kind, label, status).inc()
                        if tokens:
                            self.tokens.labels(kind, label).inc(tokens)
                        if cost:
                            self.cost.labels(kind, label).inc(cost)
                        self.duration.labels(kind, label).observe(record.latency_ms / 1000.0)


_scope_metrics: weakref.WeakKeyDictionary[CollectorRegistry, dict[str, _ScopeMetrics]] = (
    weakref.WeakKeyDictionary()
)


def _scope_metrics_for(registry: CollectorRegistry, namespace: str) -> _ScopeMetrics:
    with _registry_lock:
        known = _scope_metrics.setdefault(registry, {})
        metrics = known.get(namespace)
        if metrics is None:
            metrics = known[namespace] = _ScopeMetrics(registry, namespace)
        return metrics


def default_top_n() -> int:
    """``NETRUN_LLM_METRICS_TOP_N`` (:data:`DEFAULT_TOP_N` when the settings do not read)."""
    from netrun.llm.conf import conf

    try:
        value = conf.metrics_top_n
    except Exception:  # invalid settings are netrun.config.E007's to report
        return DEFAULT_TOP_N
    return value if isinstance(value, int) and 1 <= value <= MAX_TOP_N else DEFAULT_TOP_N


# Metric names are unique per registry: sinks built on the same registry share one set.
_by_registry: weakref.WeakKeyDictionary[CollectorRegistry, dict[tuple[str, bool], _Metrics]] = (
    weakref.WeakKeyDictionary()
)
_registry_lock = threading.Lock()


def _metrics_for(registry: CollectorRegistry, namespace: str, tenant_label: bool) -> _Metrics:
    with _registry_lock:
        known = _by_registry.setdefault(registry, {})
        if (namespace, not tenant_label) in known:
            raise ValueError(
                f"{namespace} metrics already exist in this registry with "
                f"tenant_label={not tenant_label}; use one setting per registry"
            )
        metrics = known.get((namespace, tenant_label))
        if metrics is None:
            metrics = known[namespace, tenant_label] = _Metrics(registry, namespace, tenant_label)
        return metrics


class PrometheusSink:
    """Updates Prometheus counters and histograms from each flushed batch.

    ``registry`` defaults to prometheus-client's global ``REGISTRY``, which the metrics view
    (:mod:`netrun.llm.telemetry.views`) and most exporters serve. ``scope_labels=True`` adds
    the metrics by user, API key and tag, whose ``top_n`` values by spend keep their label
    (default ``NETRUN_LLM_METRICS_TOP_N``) and the others count as ``"other"``.
    """

    name = "prometheus"

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        namespace: str = "netrun_llm",
        tenant_label: bool = False,
        scope_labels: bool = False,
        top_n: int | None = None,
    ) -> None:
        self.registry = registry if registry is not None else REGISTRY
        self._metrics = _metrics_for(self.registry, namespace, tenant_label)
        self.top_n = default_top_n() if top_n is None else top_n
        if not isinstance(self.top_n, int) or not 1 <= self.top_n <= MAX_TOP_N:
            raise ValueError(f"top_n must be between 1 and {MAX_TOP_N}, not {self.top_n!r}")
        self._scopes = _scope_metrics_for(self.registry, namespace) if scope_labels else None
        if tenant_label:
            # Held weakly: dropping the sink stops the updates.
            add_budget_listener(self.set_budget_remaining)

    def write(self, records: Sequence[LLMRequestMetrics]) -> None:
        metrics = self._metrics
        for record in records:
            provider, model = record.provider, record.model
            tenant = (record.tenant_id or "",) if metrics.tenant_label else ()
            status = "success" if record.success else "error"
            metrics.requests.labels(provider, model, record.operation, status, *tenant).inc()
            if not record.success:
                metrics.errors.labels(provider, model, record.error_type or "unknown").inc()
            for kind, count in (
                ("input", record.input_tokens),
                ("cache_read", record.cache_read_tokens),
                ("cache_write", record.cache_write_tokens),
                ("output", record.output_tokens),
                ("reasoning", record.reasoning_tokens),
            ):
                if count:
                    metrics.tokens.labels(provider, model, kind, *tenant).inc(count)
            if record.cost_usd is None:
                metrics.unpriced.labels(provider, model).inc()
            else:
                metrics.cost.labels(provider, model, *tenant).inc(float(record.cost_usd))
            if record.fallback_reason:
                metrics.fallbacks.labels(provider, record.fallback_reason).inc()
            metrics.duration.labels(provider, model, record.operation).observe(
                record.latency_ms / 1000.0
            )
            if record.ttft_ms is not None:
                metrics.ttft.labels(provider, model).observe(record.ttft_ms / 1000.0)
        if self._scopes is not None:
            self._scopes.write(records, self.top_n)

    def set_budget_remaining(self, tenant_id: str, period: str, remaining_usd: Decimal) -> None:
        """For the budget code: what ``tenant_id`` has left in its ``period`` window."""
        self._metrics.budget_remaining.labels(tenant_id, period).set(float(remaining_usd))
