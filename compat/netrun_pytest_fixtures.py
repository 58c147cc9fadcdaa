"""Deprecated: use ``netrun.pytest_fixtures``. This module re-exports it and warns once on import."""

from __future__ import annotations

from netrun.core._deprecation import warn_deprecated_module
from netrun.pytest_fixtures import *  # noqa: F403 - the shim re-exports the whole public API
from netrun.pytest_fixtures import __all__ as __all__

warn_deprecated_module("netrun_pytest_fixtures", "netrun.pytest_fixtures")
