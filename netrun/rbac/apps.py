"""Django application configuration for ``netrun.rbac``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunRbacConfig(AppConfig):
    name = "netrun.rbac"
    label = "netrun_rbac"
    verbose_name = "Netrun RBAC"
    default_auto_field = "django.db.models.BigAutoField"
