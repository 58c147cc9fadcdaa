"""Deprecated: use ``netrun.env``. This module re-exports it and warns once on import."""

from __future__ import annotations

from netrun.core._deprecation import warn_deprecated_module
from netrun.env import *  # noqa: F403 - the shim re-exports the whole public API
from netrun.env import __all__ as __all__

warn_deprecated_module("netrun_env", "netrun.env")
