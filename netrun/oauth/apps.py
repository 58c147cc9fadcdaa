"""Django application configuration for ``netrun.oauth``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunOauthConfig(AppConfig):
    name = "netrun.oauth"
    label = "netrun_oauth"
    verbose_name = "Netrun OAuth"
    default_auto_field = "django.db.models.BigAutoField"
