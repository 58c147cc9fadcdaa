"""Deprecated since netrun 2.0: ``netrun_errors`` is ``netrun.errors`` (removed in 3.0).

Every name, and every ``netrun_errors.<module>``, is read from ``netrun.errors`` and warns with a
``DeprecationWarning`` from the importing line: see ``netrun.core._deprecation``.
"""

from __future__ import annotations

from netrun.core._deprecation import shim

shim(__name__)
