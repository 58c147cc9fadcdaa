"""Django application configuration for ``netrun.errors``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

from netrun.core.deps import is_available


class NetrunErrorsConfig(AppConfig):
    name = "netrun.errors"
    label = "netrun_errors"
    verbose_name = "Netrun errors"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.errors.checks import (
            check_drf_content_negotiation,
            check_drf_exception_handler,
            check_error_codes,
            check_settings,
        )

        checks.register(check_settings)
        checks.register(check_error_codes)
        checks.register(check_drf_exception_handler)
        checks.register(check_drf_content_negotiation)
        if is_available("celery"):
            from netrun.errors.celery import connect_signals

            connect_signals()
