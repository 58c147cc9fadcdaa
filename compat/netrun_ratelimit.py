"""Deprecated: use ``netrun.ratelimit``. This module re-exports it and warns once on import."""

from __future__ import annotations

from netrun.core._deprecation import warn_deprecated_module
from netrun.ratelimit import *  # noqa: F403 - the shim re-exports the whole public API
from netrun.ratelimit import __all__ as __all__

warn_deprecated_module("netrun_ratelimit", "netrun.ratelimit")
