"""Settings of ``netrun.logging``, read lazily from Django settings.

Every property reads ``django.conf.settings`` when it is accessed, so ``override_settings``
applies at once and nothing is frozen at import time.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings

__all__ = ["conf"]


class Settings:
    """Typed, lazily read view of the ``NETRUN_LOGGING_*`` settings."""

    def _get(self, name: str, default: Any) -> Any:
        return getattr(settings, f"NETRUN_LOGGING_{name}", default)

    @property
    def CONFIGURE(self) -> bool:
        return bool(self._get("CONFIGURE", False))

    @property
    def APP_NAME(self) -> str | None:
        value = self._get("APP_NAME", None)
        return str(value) if value else None

    @property
    def ENVIRONMENT(self) -> str | None:
        value = self._get("ENVIRONMENT", None)
        return str(value) if value else None

    @property
    def JSON(self) -> bool:
        return bool(self._get("JSON", True))

    @property
    def LEVEL(self) -> Any:
        return self._get("LEVEL", "INFO")

    @property
    def SENSITIVE_KEYS(self) -> Sequence[Any]:
        value = self._get("SENSITIVE_KEYS", ())
        return value if isinstance(value, (list, tuple)) else ()

    @property
    def REQUEST_EVENTS(self) -> bool:
        return bool(self._get("REQUEST_EVENTS", True))

    @property
    def CELERY(self) -> bool:
        return bool(self._get("CELERY", True))

    @property
    def PROCESS_CORRELATION_ID(self) -> bool:
        return bool(self._get("PROCESS_CORRELATION_ID", True))


conf = Settings()
