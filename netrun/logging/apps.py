"""Django application configuration for ``netrun.logging``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunLoggingConfig(AppConfig):
    name = "netrun.logging"
    label = "netrun_logging"
    verbose_name = "Netrun logging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: the package root stays importable without Django settings.
        from netrun.logging import checks
        from netrun.logging.autoconfig import setup_from_settings

        checks.register()
        setup_from_settings()
