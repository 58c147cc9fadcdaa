"""The one ``setting_changed`` receiver of the netrun apps.

Settings are read one of two ways (see ``docs/architecture.md``): levels 0-1 (core, errors,
logging) read Django settings at every attribute access, so nothing of theirs can go stale;
level 2 and up cache one :class:`~netrun.config.BaseConfig` object per class. When Django
sends ``setting_changed`` (``override_settings``, pytest-django's ``settings`` fixture),
:func:`refresh_settings` rebuilds every cached class that reads the changed setting, which
also runs the :func:`~netrun.config.on_reload` hooks of the apps that keep state built from
their settings.

``netrun.config``'s ``ready()`` connects it, and so does the ``ready()`` of every app whose
settings are a ``BaseConfig``, so a project without ``netrun.config`` in ``INSTALLED_APPS``
is refreshed too. The ``dispatch_uid`` keeps it one receiver however many apps connect it.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed

from netrun.config.registry import django_setting_changed

__all__ = ["DISPATCH_UID", "connect_settings_receiver", "refresh_settings"]

DISPATCH_UID = "netrun.config.refresh_settings"


def refresh_settings(*, setting: str, **kwargs: Any) -> None:
    """Rebuild the cached settings objects that read the Django setting ``setting``."""
    django_setting_changed(setting)


def connect_settings_receiver() -> None:
    """Connect :func:`refresh_settings` to ``setting_changed``; calling it again is a no-op."""
    setting_changed.connect(refresh_settings, dispatch_uid=DISPATCH_UID)
