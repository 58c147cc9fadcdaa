"""The admin of the resilience feature: model aliases and routing groups (glue)."""

from __future__ import annotations

__all__: list[str] = []
