"""Deprecated since netrun 2.0: ``netrun_oauth`` is ``netrun.oauth`` (removed in 3.0).

Every name, and every ``netrun_oauth.<module>``, is read from ``netrun.oauth`` and warns with a
``DeprecationWarning`` from the importing line: see ``netrun.core._deprecation``.
"""

from __future__ import annotations

from netrun.core._deprecation import shim

shim(__name__)
