"""Deprecated: use ``netrun.db_pool``. This module re-exports it and warns once on import."""

from __future__ import annotations

from netrun.core._deprecation import warn_deprecated_module
from netrun.db_pool import *  # noqa: F403 - the shim re-exports the whole public API
from netrun.db_pool import __all__ as __all__

warn_deprecated_module("netrun_db_pool", "netrun.db_pool")
