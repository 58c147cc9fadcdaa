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
=============================================  =========  ==========================================

With ``tenant_label=True`` the request, token and cost counters also carry ``tenant``: useful
with tens of tenants, a cardinality problem with thousands, hence off by default. The same
setting turns on the budget gauge: the sink then listens to every
:class:`~netrun.llm.policies.PolicyEnforcer` of the process
(:func:`~netrun.llm.budgets.base.add_budget_listener`) and sets, after each reservation,
settlement and release, what the tenant has left today and this month (windows with a limit).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from decimal import Decimal

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from netrun.llm.budgets.base import add_budget_listener
from netrun.llm.telemetry.records import LLMRequestMetrics

__all__ = ["LATENCY_BUCKETS", "PrometheusSink"]

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
    (:mod:`netrun.llm.telemetry.views`) and most exporters serve.
    """

    name = "prometheus"

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        namespace: str = "netrun_llm",
        tenant_label: bool = False,
    ) -> None:
        self.registry = registry if registry is not None else REGISTRY
        self._metrics = _metrics_for(self.registry, namespace, tenant_label)
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

    def set_budget_remaining(self, tenant_id: str, period: str, remaining_usd: Decimal) -> None:
        """For the budget code: what ``tenant_id`` has left in its ``period`` window."""
        self._metrics.budget_remaining.labels(tenant_id, period).set(float(remaining_usd))
