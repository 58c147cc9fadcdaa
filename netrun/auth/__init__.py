"""Netrun auth.

Level 2: JWT issuing and verification with key rotation, DRF and FastAPI integration.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
