"""Shared helpers: records with chosen values, and collectors that flush only when told."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connections

from netrun.llm.telemetry import InMemorySink, LLMRequestMetrics, TelemetryCollector
from netrun.llm.telemetry_models import (
    LLMLatencyHistogram,
    LLMUsageHourly,
    LLMUsageRecord,
    LLMUsageScopeDaily,
    LLMUsageTag,
)

PG_ALIAS = "telemetry_pg"

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


@pytest.fixture
def pg_alias(postgres_dsn: str, django_db_blocker: Any) -> Iterator[str]:
    """A Django database alias on a fresh PostgreSQL database holding the usage table."""
    parts = urlsplit(postgres_dsn)
    connections.settings[PG_ALIAS] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {},
        "TIME_ZONE": None,
        "TEST": {"NAME": None, "CHARSET": None, "COLLATION": None, "MIGRATE": True, "MIRROR": None},
    }
    with django_db_blocker.unblock():
        connection = connections[PG_ALIAS]
        with connection.schema_editor() as editor:
            for model in (
                LLMUsageRecord,
                LLMUsageTag,
                LLMUsageHourly,
                LLMUsageScopeDaily,
                LLMLatencyHistogram,
            ):
                editor.create_model(model)
        try:
            yield PG_ALIAS
        finally:
            connection.close()
            del connections[PG_ALIAS]
            del connections.settings[PG_ALIAS]
