"""Deprecated: use ``netrun.cors``. This module re-exports it and warns once on import."""

from __future__ import annotations

from netrun.core._deprecation import warn_deprecated_module
from netrun.cors import *  # noqa: F403 - the shim re-exports the whole public API
from netrun.cors import __all__ as __all__

warn_deprecated_module("netrun_cors", "netrun.cors")
