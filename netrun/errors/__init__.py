"""Netrun errors.

Level 0: the exception hierarchy and the one error envelope for DRF, Django and FastAPI.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
