"""Django application configuration for ``netrun.config``."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("NETRUN_"):
        from netrun.config.registry import django_setting_changed

        django_setting_changed(setting)


class NetrunConfigConfig(AppConfig):
    name = "netrun.config"
    label = "netrun_config"
    verbose_name = "Netrun config"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.config.checks import (
            check_config_classes,
            check_environment,
            check_unknown_settings,
        )

        checks.register(check_environment)
        checks.register(check_config_classes)
        checks.register(check_unknown_settings)
        # A dispatch_uid keeps the receiver single when ready() runs twice (test runners).
        setting_changed.connect(_on_setting_changed, dispatch_uid="netrun.config.setting_changed")
