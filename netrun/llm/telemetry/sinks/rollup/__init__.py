"""Rollups of ``LLMUsageRecord``: hourly totals and daily latency histograms, kept as records land.

Reports over a large window would otherwise read every record: five aggregate passes, three
of them sorting per group for ``percentile_cont``, take seconds over a million rows. The
database sink therefore also adds each flushed batch, in the same transaction, to

* ``LLMUsageHourly``: exact counts, tokens, cost and latency sums per hour (UTC), tenant,
  provider and model;
* ``LLMLatencyHistogram``: per day (UTC), a logarithmic latency histogram per
  provider/model and per tenant, and one of time to first token
  (:class:`~netrun.llm.telemetry.aggregation.LatencyHistogram`: any percentile within 1%).

The additions are ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` upserts, so
processes flushing at once add up instead of overwriting. PostgreSQL and SQLite are
supported; on other databases no rollup is written and reports read the records.

:func:`aggregate_with_rollups` answers an unfiltered query whose whole UTC days hold at least
``threshold`` requests: the whole days from the rollups, the partial days at either end from
the records. Totals, breakdowns and the time series are exact; percentiles come from the
histograms (``AggregatedMetrics.percentiles_estimated``). Smaller or filtered queries keep
the exact path. :func:`rebuild_rollups` recomputes the rollups of whole days from the records,
for records that did not come through the sink (a bulk import, a restore); migration 0004
runs it once over the records already there.

Writing is :mod:`~netrun.llm.telemetry.sinks.rollup.write`, reading
:mod:`~netrun.llm.telemetry.sinks.rollup.read`; all of it is Django glue (the ORM).
"""

from __future__ import annotations

from netrun.llm.telemetry.sinks.rollup.read import DEFAULT_THRESHOLD, aggregate_with_rollups
from netrun.llm.telemetry.sinks.rollup.write import (
    rebuild_rollups,
    record_rollups,
    supports_rollups,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "aggregate_with_rollups",
    "rebuild_rollups",
    "record_rollups",
    "supports_rollups",
]
