"""Deprecated since netrun 2.0: ``netrun_ratelimit`` is ``netrun.ratelimit`` (removed in 3.0).

Every name, and every ``netrun_ratelimit.<module>``, is read from ``netrun.ratelimit`` and warns with a
``DeprecationWarning`` from the importing line: see ``netrun.core._deprecation``.
"""

from __future__ import annotations

from netrun.core._deprecation import shim

shim(__name__)
