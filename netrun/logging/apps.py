"""Django application configuration for ``netrun.logging``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class NetrunLoggingConfig(AppConfig):
    name = "netrun.logging"
    label = "netrun_logging"
    verbose_name = "Netrun logging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: the package root stays importable without Django settings.
        from netrun.logging.autoconfig import reconfigure_on_change, setup_from_settings
        from netrun.logging.checks import check_settings

        checks.register(check_settings, checks.Tags.compatibility)
        setup_from_settings()
        # Logging is configured once, not read lazily: a changed NETRUN_LOGGING_* setting
        # (override_settings) configures it again.
        setting_changed.connect(
            reconfigure_on_change, dispatch_uid="netrun.logging.reconfigure_on_change"
        )
