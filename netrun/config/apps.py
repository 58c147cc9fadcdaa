"""Django application configuration for ``netrun.config``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


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
        from netrun.config.receivers import connect_settings_receiver

        checks.register(check_environment)
        checks.register(check_config_classes)
        checks.register(check_unknown_settings)
        connect_settings_receiver()
