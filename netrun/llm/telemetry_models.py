"""Kept for imports written before 2.1: these names live in :mod:`netrun.llm.models` now
(:mod:`~netrun.llm.models.telemetry` and :mod:`~netrun.llm.models.rollups`)."""

from __future__ import annotations

from netrun.llm.models.rollups import LLMLatencyHistogram, LLMUsageHourly, LLMUsageScopeDaily
from netrun.llm.models.telemetry import Dashboard, LLMUsageRecord, LLMUsageTag

__all__ = [
    "Dashboard",
    "LLMLatencyHistogram",
    "LLMUsageHourly",
    "LLMUsageRecord",
    "LLMUsageScopeDaily",
    "LLMUsageTag",
]
