"""Netrun logging.

Level 1: structlog configuration, ``get_logger``, context binding, redaction and
correlation middleware.

This module imports without Django settings configured; Django glue (models, middleware,
views) is referenced by dotted path.
"""

from __future__ import annotations

__all__: list[str] = []
