"""Django application configuration for ``netrun.config``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunConfigConfig(AppConfig):
    name = "netrun.config"
    label = "netrun_config"
    verbose_name = "Netrun config"
    default_auto_field = "django.db.models.BigAutoField"
