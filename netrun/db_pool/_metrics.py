"""Pool metrics: one immutable snapshot type for netrun pools and Django's native pool."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["PoolHealth", "PoolMetrics"]


@dataclass(frozen=True)
class PoolMetrics:
    """A snapshot of one pool.

    Gauges: ``size`` (open connections), ``idle``, ``in_use``, ``waiting`` (borrowers
    queued). Counters since the pool opened: ``acquisitions``, ``acquire_errors`` (a borrower
    got no connection), ``connection_errors`` (failed connection attempts),
    ``acquire_seconds_total`` / ``acquire_seconds_max`` (time to get a usable connection).
    """

    name: str
    database: str
    min_size: int
    max_size: int
    size: int
    idle: int
    in_use: int
    waiting: int
    acquisitions: int
    acquire_errors: int
    connection_errors: int
    acquire_seconds_total: float
    acquire_seconds_max: float

    @property
    def acquire_seconds_mean(self) -> float:
        return self.acquire_seconds_total / self.acquisitions if self.acquisitions else 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["acquire_seconds_mean"] = self.acquire_seconds_mean
        return data

    @classmethod
    def from_pool_stats(cls, name: str, database: str, stats: Mapping[str, int]) -> PoolMetrics:
        """Metrics of a psycopg_pool pool nobody counted for us (Django's native pool).

        psycopg_pool only measures the time spent *queued*, so the acquire time is that.
        """
        size = stats.get("pool_size", 0)
        idle = stats.get("pool_available", 0)
        return cls(
            name=name,
            database=database,
            min_size=stats.get("pool_min", 0),
            max_size=stats.get("pool_max", 0),
            size=size,
            idle=idle,
            in_use=max(size - idle, 0),
            waiting=stats.get("requests_waiting", 0),
            acquisitions=stats.get("requests_num", 0),
            acquire_errors=stats.get("requests_errors", 0),
            connection_errors=stats.get("connections_errors", 0),
            acquire_seconds_total=stats.get("requests_wait_ms", 0) / 1000.0,
            acquire_seconds_max=0.0,
        )


@dataclass(frozen=True)
class PoolHealth:
    """The result of ``health_check()``: never raises, ``error`` says what failed."""

    healthy: bool
    database: str
    latency_ms: float
    error: str | None
    metrics: PoolMetrics

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "healthy" if self.healthy else "unhealthy",
            "healthy": self.healthy,
            "database": self.database,
            "latency_ms": round(self.latency_ms, 3),
            "error": self.error,
            "metrics": self.metrics.as_dict(),
        }


class Counters:
    """The borrower-side counters psycopg_pool does not keep (in use, full acquire time).

    A lock makes the updates from many threads exact; it is held for a few additions.
    """

    __slots__ = ("_lock", "acquisitions", "errors", "in_use", "seconds_max", "seconds_total")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.acquisitions = 0
        self.errors = 0
        self.in_use = 0
        self.seconds_total = 0.0
        self.seconds_max = 0.0

    def acquired(self, seconds: float) -> None:
        with self._lock:
            self.acquisitions += 1
            self.in_use += 1
            self.seconds_total += seconds
            if seconds > self.seconds_max:
                self.seconds_max = seconds

    def failed(self) -> None:
        with self._lock:
            self.errors += 1

    def released(self) -> None:
        with self._lock:
            self.in_use -= 1
