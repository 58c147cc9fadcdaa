"""Deprecated: use ``netrun.config``. This module re-exports it and warns once on import."""

from __future__ import annotations

from netrun.config import *  # noqa: F403 - the shim re-exports the whole public API
from netrun.config import __all__ as __all__
from netrun.core._deprecation import warn_deprecated_module

warn_deprecated_module("netrun_config", "netrun.config")
