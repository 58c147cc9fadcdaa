"""Netrun database pool.

Level 3: a tenant-aware, observable psycopg connection pool.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
