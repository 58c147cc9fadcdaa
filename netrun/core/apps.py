"""Django application configuration for ``netrun.core``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunCoreConfig(AppConfig):
    name = "netrun.core"
    label = "netrun_core"
    verbose_name = "Netrun core"
    default_auto_field = "django.db.models.BigAutoField"
