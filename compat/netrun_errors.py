"""Deprecated: use ``netrun.errors``. This module re-exports it and warns once on import."""

from __future__ import annotations

from netrun.core._deprecation import warn_deprecated_module
from netrun.errors import *  # noqa: F403 - the shim re-exports the whole public API
from netrun.errors import __all__ as __all__

warn_deprecated_module("netrun_errors", "netrun.errors")
