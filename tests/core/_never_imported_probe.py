"""Imported by no test: ``is_available`` must find it without importing it."""

from __future__ import annotations

raise RuntimeError("is_available imported a module it was only asked about")
