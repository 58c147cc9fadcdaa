"""A bounded in-memory window of recent records, which can also aggregate them.

The default sink of a collector configured with no other aggregation source: the seeds'
``get_aggregated_metrics(hours=24)`` works out of the box, within one process and up to
``max_records`` records (the oldest fall out first).

Framework-neutral: no Django import.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence

from netrun.llm.telemetry.aggregation import aggregate_records
from netrun.llm.telemetry.records import AggregatedMetrics, LLMRequestMetrics, MetricsQuery

__all__ = ["InMemorySink"]


class InMemorySink:
    """Keeps the last ``max_records`` records; :meth:`aggregate` computes over them."""

    name = "memory"

    def __init__(self, max_records: int = 100_000) -> None:
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        self._records: deque[LLMRequestMetrics] = deque(maxlen=max_records)
        self._lock = threading.Lock()

    def write(self, records: Sequence[LLMRequestMetrics]) -> None:
        with self._lock:
            self._records.extend(records)

    @property
    def records(self) -> list[LLMRequestMetrics]:
        """A copy of the window, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def aggregate(self, query: MetricsQuery) -> AggregatedMetrics:
        # Copy under the lock, compute outside it: a flush never waits for a report.
        return aggregate_records(self.records, query)
