"""Kept for imports written before 2.1: these names live in
:mod:`netrun.llm.telemetry.views` now."""

from __future__ import annotations

from netrun.llm.telemetry.views import TOKEN_SCHEMES, make_metrics_view, metrics_view

__all__ = ["TOKEN_SCHEMES", "make_metrics_view", "metrics_view"]
