"""A Prometheus collector for the pools' metrics (``pip install "netrun[prometheus]"``).

::

    from prometheus_client import REGISTRY
    from netrun.db_pool.prometheus import PoolCollector

    REGISTRY.register(PoolCollector())

``NetrunDbPoolConfig.ready()`` registers one on the default registry when prometheus-client
is installed, with Django's native pools included. Series carry a ``pool`` label:

* gauges ``netrun_db_pool_size``, ``_idle``, ``_in_use``, ``_waiting``, ``_min_size``,
  ``_max_size``;
* counters ``netrun_db_pool_acquisitions_total``, ``_acquire_errors_total``,
  ``_connection_errors_total``, ``_acquire_seconds_total``.

This module imports prometheus-client only when collecting, and never imports Django.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from netrun.core.deps import require
from netrun.db_pool._metrics import PoolMetrics
from netrun.db_pool._registry import active_pools

__all__ = ["COUNTERS", "GAUGES", "PoolCollector", "netrun_pool_metrics"]

#: (metric suffix, PoolMetrics attribute, help)
GAUGES = (
    ("size", "size", "Open connections in the pool."),
    ("idle", "idle", "Idle connections ready to be borrowed."),
    ("in_use", "in_use", "Connections borrowed right now."),
    ("waiting", "waiting", "Borrowers queued for a connection."),
    ("min_size", "min_size", "Configured minimum pool size."),
    ("max_size", "max_size", "Configured maximum pool size."),
)
COUNTERS = (
    ("acquisitions", "acquisitions", "Connections handed out."),
    ("acquire_errors", "acquire_errors", "Borrowers that got no connection."),
    ("connection_errors", "connection_errors", "Failed attempts to open a connection."),
    ("acquire_seconds", "acquire_seconds_total", "Time spent getting connections."),
)


def netrun_pool_metrics() -> list[PoolMetrics]:
    """Metrics of every open netrun pool in this process."""
    return [pool.metrics() for pool in active_pools()]


class PoolCollector:
    """A custom collector: reads the pools at scrape time, so it never goes stale.

    ``source`` returns the metrics to export; the default is every open netrun pool.
    """

    def __init__(self, source: Callable[[], Iterable[PoolMetrics]] | None = None) -> None:
        require("prometheus_client", feature="Prometheus pool metrics", extra="prometheus")
        self._source = source or netrun_pool_metrics

    def collect(self) -> Iterator[Any]:
        # prometheus-client is an optional extra: mypy may not find it installed.
        from prometheus_client.core import (  # type: ignore[import-not-found,unused-ignore]
            CounterMetricFamily,
            GaugeMetricFamily,
        )

        snapshots = list(self._source())
        for suffix, attribute, documentation in GAUGES:
            gauge = GaugeMetricFamily(f"netrun_db_pool_{suffix}", documentation, labels=["pool"])
            for metrics in snapshots:
                gauge.add_metric([metrics.name], float(getattr(metrics, attribute)))
            yield gauge
        for suffix, attribute, documentation in COUNTERS:
            counter = CounterMetricFamily(
                f"netrun_db_pool_{suffix}", documentation, labels=["pool"]
            )
            for metrics in snapshots:
                counter.add_metric([metrics.name], float(getattr(metrics, attribute)))
            yield counter

    def describe(self) -> Iterator[Any]:
        # An empty description: prometheus-client then skips calling collect() at
        # registration, when Django's pools may not be reachable yet.
        return iter(())
