"""Netrun LLM.

Level 3: provider adapters, per-tenant policies and budgets, cost and latency telemetry.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
