"""Deprecated since netrun 2.0: ``netrun_auth`` is ``netrun.auth`` (removed in 3.0).

Every name, and every ``netrun_auth.<module>``, is read from ``netrun.auth`` and warns with a
``DeprecationWarning`` from the importing line: see ``netrun.core._deprecation``.
"""

from __future__ import annotations

from netrun.core._deprecation import shim

shim(__name__)
