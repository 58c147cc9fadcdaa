"""Deprecated since netrun 2.0: ``netrun_llm`` is ``netrun.llm`` (removed in 3.0).

Every name, and every ``netrun_llm.<module>``, is read from ``netrun.llm`` and warns with a
``DeprecationWarning`` from the importing line: see ``netrun.core._deprecation``.
"""

from __future__ import annotations

from netrun.core._deprecation import shim

shim(__name__)
