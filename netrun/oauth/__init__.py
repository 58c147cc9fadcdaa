"""Netrun OAuth.

Level 2: OAuth2 / OIDC login views and service-to-service clients.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
