"""Netrun CORS.

Level 3: safe CORS presets on django-cors-headers.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
