"""Glue for frameworks other than Django: ``netrun.auth.contrib.fastapi``."""

from __future__ import annotations
