"""Django application configuration for ``netrun.cors``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class NetrunCorsConfig(AppConfig):
    name = "netrun.cors"
    label = "netrun_cors"
    verbose_name = "Netrun CORS"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.config.receivers import connect_settings_receiver
        from netrun.cors.checks import (
            check_csrf_trusted_origins,
            check_middleware,
            check_policy,
            check_view_policies,
        )

        checks.register(check_policy)
        checks.register(check_view_policies, checks.Tags.urls)
        checks.register(check_middleware)
        checks.register(check_csrf_trusted_origins)
        # conf is a cached BaseConfig: the one setting_changed receiver keeps it current.
        connect_settings_receiver()
