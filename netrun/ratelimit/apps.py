"""Django application configuration for ``netrun.ratelimit``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class NetrunRatelimitConfig(AppConfig):
    name = "netrun.ratelimit"
    label = "netrun_ratelimit"
    verbose_name = "Netrun rate limits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.config.receivers import connect_settings_receiver
        from netrun.ratelimit.checks import check_settings

        checks.register(check_settings)
        # conf is a cached BaseConfig: the one setting_changed receiver keeps it current.
        connect_settings_receiver()
