"""Glue for other libraries; each module is imported only by whoever uses it."""

from __future__ import annotations
