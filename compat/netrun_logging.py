"""Deprecated since netrun 2.0: ``netrun_logging`` is ``netrun.logging`` (removed in 3.0).

Every name, and every ``netrun_logging.<module>``, is read from ``netrun.logging`` and warns with a
``DeprecationWarning`` from the importing line: see ``netrun.core._deprecation``.
"""

from __future__ import annotations

from netrun.core._deprecation import shim

shim(__name__)
