"""Settings of ``netrun.errors``, read from Django settings at each use.

=====================================  =============  ==========================================
Setting                                Default        Meaning
=====================================  =============  ==========================================
``NETRUN_ERRORS_PROBLEM_JSON``         ``False``      Always answer RFC 9457 problem+json, not
                                                      only when the client's Accept asks for it.
``NETRUN_ERRORS_JSON_PATH_PREFIXES``   ``("/api/",)`` Paths under these prefixes get JSON error
                                                      pages whatever the Accept header says.
=====================================  =============  ==========================================

Values are validated by the system checks ``netrun.errors.E001`` and ``E002``, not here: a
request must not be the first place a typo is found. Nothing is read at import time, so
``override_settings`` and the ``setting_changed`` signal are always seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from netrun.core.conf import get_setting

__all__ = ["ErrorsSettings", "conf"]


class ErrorsSettings:
    """One typed, lazily read property per setting, named after the setting."""

    @property
    def NETRUN_ERRORS_PROBLEM_JSON(self) -> bool:
        return cast(bool, get_setting("NETRUN_ERRORS_PROBLEM_JSON", False))

    @property
    def NETRUN_ERRORS_JSON_PATH_PREFIXES(self) -> Sequence[str]:
        return cast("Sequence[str]", get_setting("NETRUN_ERRORS_JSON_PATH_PREFIXES", ("/api/",)))


conf = ErrorsSettings()
