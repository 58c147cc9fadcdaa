"""Netrun env.

Level 2: ``.env`` validation, diff and example generation (the ``netrun-env`` CLI).

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
