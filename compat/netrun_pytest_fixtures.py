"""Deprecated since netrun 2.0: ``netrun_pytest_fixtures`` is ``netrun.pytest_fixtures`` (removed in 3.0).

Every name, and every ``netrun_pytest_fixtures.<module>``, is read from ``netrun.pytest_fixtures`` and warns with a
``DeprecationWarning`` from the importing line: see ``netrun.core._deprecation``.
"""

from __future__ import annotations

from netrun.core._deprecation import shim

shim(__name__)
