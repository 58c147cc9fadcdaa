"""Netrun dogfood.

The suite checking itself and a user's project against the integration contracts.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
