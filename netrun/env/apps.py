"""Django application configuration for ``netrun.env``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunEnvConfig(AppConfig):
    name = "netrun.env"
    label = "netrun_env"
    verbose_name = "Netrun env"
    default_auto_field = "django.db.models.BigAutoField"
