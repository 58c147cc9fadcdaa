"""Deprecated since netrun 2.0: ``netrun_cors`` is ``netrun.cors`` (removed in 3.0).

Every name, and every ``netrun_cors.<module>``, is read from ``netrun.cors`` and warns with a
``DeprecationWarning`` from the importing line: see ``netrun.core._deprecation``.
"""

from __future__ import annotations

from netrun.core._deprecation import shim

shim(__name__)
