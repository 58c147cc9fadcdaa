"""System checks for the ``NETRUN_LOGGING_*`` settings.

* ``netrun.logging.E001``: ``NETRUN_LOGGING_LEVEL`` is not a log level.
* ``netrun.logging.E002``: ``NETRUN_LOGGING_SENSITIVE_KEYS`` is not a list of strings.
* ``netrun.logging.W001``: ``CorrelationIdMiddleware`` is installed but not first in
  ``MIDDLEWARE``, so middleware before it logs without the request's correlation ID.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

from netrun.logging._config import parse_level
from netrun.logging.conf import conf

__all__ = ["check_settings"]

_MIDDLEWARE = "netrun.logging.middleware.CorrelationIdMiddleware"


def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    level = conf.level
    try:
        parse_level(level)
    except (ValueError, AttributeError):
        errors.append(
            checks.Error(
                f"NETRUN_LOGGING_LEVEL is {level!r}, which is not a log level.",
                hint="Use DEBUG, INFO, WARNING, ERROR or CRITICAL.",
                id="netrun.logging.E001",
            )
        )
    keys = conf.sensitive_keys
    if not isinstance(keys, (list, tuple)) or not all(isinstance(k, str) and k for k in keys):
        errors.append(
            checks.Error(
                "NETRUN_LOGGING_SENSITIVE_KEYS must be a list of non-empty strings.",
                hint='For example ["ssn", "iban"]; they are added to the default keys.',
                id="netrun.logging.E002",
            )
        )
    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    if _MIDDLEWARE in middleware and middleware.index(_MIDDLEWARE) != 0:
        errors.append(
            checks.Warning(
                f"{_MIDDLEWARE} is not the first entry of MIDDLEWARE.",
                hint="Put it first so every middleware and error logs the correlation ID.",
                id="netrun.logging.W001",
            )
        )
    return errors
