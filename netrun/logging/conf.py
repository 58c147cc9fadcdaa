"""Settings of ``netrun.logging``, read from Django settings at each use.

========================================  ==========  ===================================
Setting                                   Default     Meaning
========================================  ==========  ===================================
``NETRUN_LOGGING_CONFIGURE``              ``False``   ``ready()`` calls ``configure_logging``
                                                      (otherwise ``LOGGING`` stays in charge)
``NETRUN_LOGGING_APP_NAME``               ``None``    ``app`` key on every event
``NETRUN_LOGGING_ENVIRONMENT``            ``None``    ``environment`` key on every event
``NETRUN_LOGGING_JSON``                   ``True``    JSON lines, else console lines
``NETRUN_LOGGING_LEVEL``                  ``"INFO"``  root level when netrun configures
``NETRUN_LOGGING_SENSITIVE_KEYS``         ``()``      keys redacted on top of the defaults
``NETRUN_LOGGING_REQUEST_EVENTS``         ``True``    ``request_started`` / ``request_finished``
``NETRUN_LOGGING_CELERY``                 ``True``    connect the Celery signals (if installed)
``NETRUN_LOGGING_PROCESS_CORRELATION_ID`` ``True``    commands and the shell log one ID per run
========================================  ==========  ===================================

``conf.sensitive_keys`` reads ``NETRUN_LOGGING_SENSITIVE_KEYS``: each attribute is the
setting's name without ``NETRUN_LOGGING_``, lower-cased, and is read at every access (levels
0-1 keep no cache, so ``override_settings`` is always seen and nothing needs refreshing).
``level`` and ``sensitive_keys`` are returned as set: the system checks
``netrun.logging.E001`` and ``E002`` validate them through this object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from netrun.core.conf import get_setting

__all__ = ["LoggingSettings", "conf"]


class LoggingSettings:
    """One typed, lazily read property per ``NETRUN_LOGGING_*`` setting."""

    @property
    def configure(self) -> bool:
        return bool(get_setting("NETRUN_LOGGING_CONFIGURE", False))

    @property
    def app_name(self) -> str | None:
        value = get_setting("NETRUN_LOGGING_APP_NAME", None)
        return str(value) if value else None

    @property
    def environment(self) -> str | None:
        value = get_setting("NETRUN_LOGGING_ENVIRONMENT", None)
        return str(value) if value else None

    @property
    def json(self) -> bool:
        return bool(get_setting("NETRUN_LOGGING_JSON", True))

    @property
    def level(self) -> Any:
        # A name ("INFO") or a number; netrun.logging.E001 reports anything else.
        return get_setting("NETRUN_LOGGING_LEVEL", "INFO")

    @property
    def sensitive_keys(self) -> Sequence[str]:
        return cast("Sequence[str]", get_setting("NETRUN_LOGGING_SENSITIVE_KEYS", ()))

    @property
    def request_events(self) -> bool:
        return bool(get_setting("NETRUN_LOGGING_REQUEST_EVENTS", True))

    @property
    def celery(self) -> bool:
        return bool(get_setting("NETRUN_LOGGING_CELERY", True))

    @property
    def process_correlation_id(self) -> bool:
        return bool(get_setting("NETRUN_LOGGING_PROCESS_CORRELATION_ID", True))


conf = LoggingSettings()
