"""Netrun config.

Level 2: typed, validated settings (``BaseConfig``) with env prefixes and secrets providers.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
