"""Django application configuration for ``netrun.dogfood``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunDogfoodConfig(AppConfig):
    name = "netrun.dogfood"
    label = "netrun_dogfood"
    verbose_name = "Netrun dogfood"
    default_auto_field = "django.db.models.BigAutoField"
