"""Django application configuration for ``netrun.auth``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunAuthConfig(AppConfig):
    name = "netrun.auth"
    label = "netrun_auth"
    verbose_name = "Netrun auth"
    default_auto_field = "django.db.models.BigAutoField"
