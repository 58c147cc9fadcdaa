"""The Prometheus collector, against the real prometheus-client (the ``prometheus`` extra)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netrun.core.deps import MissingDependencyError
from netrun.db_pool import PoolMetrics
from netrun.db_pool import apps as db_pool_apps
from netrun.db_pool.prometheus import COUNTERS, GAUGES, PoolCollector

prometheus_client = pytest.importorskip("prometheus_client")

SNAPSHOT = PoolMetrics(
    name="netrun",
    database="postgresql://u:***@h/d",
    min_size=1,
    max_size=4,
    size=3,
    idle=1,
    in_use=2,
    waiting=0,
    acquisitions=10,
    acquire_errors=1,
    connection_errors=0,
    acquire_seconds_total=0.5,
    acquire_seconds_max=0.2,
)


def _exposition(registry: object) -> str:
    return prometheus_client.generate_latest(registry).decode()


def test_collector_exports_every_gauge_and_counter() -> None:
    registry = prometheus_client.CollectorRegistry()
    registry.register(PoolCollector(lambda: [SNAPSHOT]))
    text = _exposition(registry)
    assert text.count("# TYPE netrun_db_pool_") == len(GAUGES) + len(COUNTERS)
    assert "# TYPE netrun_db_pool_size gauge" in text
    assert 'netrun_db_pool_in_use{pool="netrun"} 2.0' in text
    assert 'netrun_db_pool_acquisitions_total{pool="netrun"} 10.0' in text
    assert 'netrun_db_pool_acquire_seconds_total{pool="netrun"} 0.5' in text
    assert 'netrun_db_pool_acquire_errors_total{pool="netrun"} 1.0' in text
    assert list(PoolCollector().describe()) == []


def test_a_scrape_without_open_pools_has_families_but_no_samples() -> None:
    registry = prometheus_client.CollectorRegistry()
    registry.register(PoolCollector(list))
    text = _exposition(registry)
    assert "# TYPE netrun_db_pool_size gauge" in text
    assert 'pool="' not in text


def test_ready_registers_one_collector_on_the_default_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = prometheus_client.CollectorRegistry()
    monkeypatch.setattr(prometheus_client, "REGISTRY", registry)
    monkeypatch.setattr(db_pool_apps, "_collector_registered", False)
    assert db_pool_apps.register_prometheus_collector()
    assert db_pool_apps.register_prometheus_collector()
    assert _exposition(registry).count("# TYPE netrun_db_pool_size gauge") == 1


def test_without_prometheus_client_nothing_is_registered(
    hide_modules: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_pool_apps, "_collector_registered", False)
    hide_modules("prometheus_client")
    assert not db_pool_apps.register_prometheus_collector()
    with pytest.raises(MissingDependencyError, match="prometheus"):
        PoolCollector()
