"""Reading Django settings from Netrun code without freezing them.

Netrun's packages read their flat Django settings (``NETRUN_<APP>_<NAME>``) at use, never at
import or class-definition time. The level 0-1 apps (errors, logging) keep a small settings
object in their ``conf.py`` whose properties call :func:`get_setting` at every access, so
``override_settings`` is always seen and nothing needs refreshing; level 2 and up use
``netrun.config.BaseConfig``, whose sources read Django settings through this module too.
These helpers also work when Django is not installed or not configured (a FastAPI app, a
script): the default is returned.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["django_settings_configured", "get_setting"]

_MISSING = object()


def django_settings_configured() -> bool:
    """True when Django is importable and its settings are configured."""
    if "django.conf" not in sys.modules:
        # Nothing has imported Django settings, so nothing can have configured them; importing
        # django.conf here would only slow down framework-neutral callers.
        return False
    from django.conf import settings

    try:
        return bool(settings.configured)
    except Exception:
        return False


def get_setting(name: str, default: Any = None) -> Any:
    """The Django setting ``name``, or ``default`` when it is unset or Django is not configured."""
    if not django_settings_configured():
        return default
    from django.conf import settings

    value = getattr(settings, name, _MISSING)
    return default if value is _MISSING else value
