"""The installed distribution's version, read from its metadata (never hard-coded twice)."""

from __future__ import annotations

import importlib.metadata

try:
    __version__ = importlib.metadata.version("netrun")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"
