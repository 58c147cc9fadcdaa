"""Settings of ``netrun.errors``, read from Django settings at each use.

=====================================  =============  ==========================================
Setting                                Default        Meaning
=====================================  =============  ==========================================
``NETRUN_ERRORS_PROBLEM_JSON``         ``False``      Always answer RFC 9457 problem+json, not
                                                      only when the client's Accept asks for it.
``NETRUN_ERRORS_JSON_PATH_PREFIXES``   ``("/api/",)`` Paths under these prefixes get JSON error
                                                      pages whatever the Accept header says.
=====================================  =============  ==========================================

``conf.problem_json`` reads ``NETRUN_ERRORS_PROBLEM_JSON``: each attribute is the setting's
name without ``NETRUN_ERRORS_``, lower-cased, and is read from Django settings at every
access (levels 0-1 keep no cache, so ``override_settings`` is always seen and nothing needs
refreshing). A value is returned as set: the system checks ``netrun.errors.E001`` and ``E002``
validate it through this object, so a typo is found at start-up, not in a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from netrun.core.conf import get_setting

__all__ = ["ErrorsSettings", "conf"]


class ErrorsSettings:
    """One typed, lazily read property per ``NETRUN_ERRORS_*`` setting."""

    @property
    def problem_json(self) -> bool:
        return cast(bool, get_setting("NETRUN_ERRORS_PROBLEM_JSON", False))

    @property
    def json_path_prefixes(self) -> Sequence[str]:
        return cast("Sequence[str]", get_setting("NETRUN_ERRORS_JSON_PATH_PREFIXES", ("/api/",)))


conf = ErrorsSettings()
