"""Deprecated: use ``netrun.auth``. This module re-exports it and warns once on import."""

from __future__ import annotations

from netrun.auth import *  # noqa: F403 - the shim re-exports the whole public API
from netrun.auth import __all__ as __all__
from netrun.core._deprecation import warn_deprecated_module

warn_deprecated_module("netrun_auth", "netrun.auth")
