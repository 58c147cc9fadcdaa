"""Netrun rate limits.

Level 3: exact, shared, cost-weighted rate limits for Django, DRF, FastAPI and the LLM
policies.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
