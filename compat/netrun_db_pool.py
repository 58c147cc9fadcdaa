"""Deprecated since netrun 2.0: ``netrun_db_pool`` is ``netrun.db_pool`` (removed in 3.0).

Every name, and every ``netrun_db_pool.<module>``, is read from ``netrun.db_pool`` and warns with a
``DeprecationWarning`` from the importing line: see ``netrun.core._deprecation``.
"""

from __future__ import annotations

from netrun.core._deprecation import shim

shim(__name__)
