"""Shared helpers: records with chosen values, and collectors that flush only when told."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from netrun.llm.telemetry import InMemorySink, LLMRequestMetrics, TelemetryCollector

# A fixed instant in the middle of an hour, so hour/day/month buckets are unambiguous.
T0 = dt.datetime(2026, 3, 10, 12, 30, tzinfo=dt.timezone.utc)


def make_record(
    *,
    at: dt.datetime = T0,
    latency_ms: float = 100.0,
    provider: str = "openai",
    model: str = "gpt-4o",
    tenant_id: str | None = "acme",
    success: bool = True,
    cost: str | None = "0.01",
    **fields: object,
) -> LLMRequestMetrics:
    record = LLMRequestMetrics(
        provider=provider,
        model=model,
        started_at=at.timestamp(),
        latency_ms=latency_ms,
        tenant_id=tenant_id,
        success=success,
        error_type=None if success else "LLMTimeoutError",
        cost_usd=None if cost is None else Decimal(cost),
        priced=cost is not None,
    )
    for name, value in fields.items():
        setattr(record, name, value)
    return record


@pytest.fixture
def memory() -> InMemorySink:
    return InMemorySink()


@pytest.fixture
def collector(memory: InMemorySink) -> Iterator[TelemetryCollector]:
    built = TelemetryCollector(sinks=[memory], background=False)
    yield built
    built.close()
