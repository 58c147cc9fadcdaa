"""Netrun RBAC.

Level 3: tenants, roles and permissions, the tenant context, PostgreSQL row-level security
and the tenant isolation testing kit.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
