"""Django application configuration for ``netrun.cors``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunCorsConfig(AppConfig):
    name = "netrun.cors"
    label = "netrun_cors"
    verbose_name = "Netrun CORS"
    default_auto_field = "django.db.models.BigAutoField"
