"""The Prometheus collector, against prometheus-client or a stand-in with its API."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from netrun.core.deps import MissingDependencyError
from netrun.db_pool import PoolMetrics
from netrun.db_pool import apps as db_pool_apps
from netrun.db_pool.prometheus import COUNTERS, GAUGES, PoolCollector

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


class _Family:
    def __init__(self, name: str, documentation: str, labels: list[str]) -> None:
        self.name, self.documentation, self.labels = name, documentation, labels
        self.samples: list[tuple[list[str], float]] = []

    def add_metric(self, labels: list[str], value: float) -> None:
        self.samples.append((labels, value))


class _Registry:
    def __init__(self) -> None:
        self.collectors: list[Any] = []

    def register(self, collector: Any) -> None:
        self.collectors.append(collector)


@pytest.fixture
def fake_prometheus(monkeypatch: pytest.MonkeyPatch) -> _Registry:
    """A stand-in for prometheus-client (an optional extra not installed in every env)."""
    registry = _Registry()
    root = types.ModuleType("prometheus_client")
    core = types.ModuleType("prometheus_client.core")
    core.GaugeMetricFamily = type("GaugeMetricFamily", (_Family,), {})  # type: ignore[attr-defined]
    core.CounterMetricFamily = type("CounterMetricFamily", (_Family,), {})  # type: ignore[attr-defined]
    root.core = core  # type: ignore[attr-defined]
    root.REGISTRY = registry  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "prometheus_client", root)
    monkeypatch.setitem(sys.modules, "prometheus_client.core", core)
    monkeypatch.setattr("netrun.db_pool.prometheus.require", lambda *a, **k: None)
    monkeypatch.setattr("netrun.core.deps.is_available", lambda module: True)
    monkeypatch.setattr(db_pool_apps, "_collector_registered", False)
    return registry


def test_collector_exports_every_gauge_and_counter(fake_prometheus: _Registry) -> None:
    families = list(PoolCollector(lambda: [SNAPSHOT]).collect())
    by_name = {family.name: family for family in families}
    assert len(families) == len(GAUGES) + len(COUNTERS)
    assert by_name["netrun_db_pool_in_use"].samples == [(["netrun"], 2.0)]
    assert by_name["netrun_db_pool_acquisitions"].samples == [(["netrun"], 10.0)]
    assert by_name["netrun_db_pool_acquire_seconds"].samples == [(["netrun"], 0.5)]
    assert type(by_name["netrun_db_pool_size"]).__name__ == "GaugeMetricFamily"
    assert list(PoolCollector().describe()) == []
    assert [f.samples for f in PoolCollector().collect()] == [[]] * len(families)


def test_ready_registers_one_collector(fake_prometheus: _Registry) -> None:
    assert db_pool_apps.register_prometheus_collector()
    assert db_pool_apps.register_prometheus_collector()
    assert len(fake_prometheus.collectors) == 1
    families = list(fake_prometheus.collectors[0].collect())
    assert all(f.samples == [] for f in families)  # no pool open in this test


def test_without_prometheus_client_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_pool_apps, "_collector_registered", False)
    monkeypatch.setattr("netrun.core.deps.is_available", lambda module: False)
    assert not db_pool_apps.register_prometheus_collector()
    monkeypatch.setattr(
        "netrun.db_pool.prometheus.require",
        lambda *a, **k: (_ for _ in ()).throw(MissingDependencyError("prometheus_client", "x")),
    )
    with pytest.raises(MissingDependencyError):
        PoolCollector()
