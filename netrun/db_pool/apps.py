"""Django application configuration for ``netrun.db_pool``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunDbPoolConfig(AppConfig):
    name = "netrun.db_pool"
    label = "netrun_db_pool"
    verbose_name = "Netrun database pool"
    default_auto_field = "django.db.models.BigAutoField"
