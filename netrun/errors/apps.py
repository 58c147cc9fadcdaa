"""Django application configuration for ``netrun.errors``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunErrorsConfig(AppConfig):
    name = "netrun.errors"
    label = "netrun_errors"
    verbose_name = "Netrun errors"
    default_auto_field = "django.db.models.BigAutoField"
