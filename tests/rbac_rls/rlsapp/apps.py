from __future__ import annotations

from django.apps import AppConfig


class RlsAppConfig(AppConfig):
    name = "tests.rbac_rls.rlsapp"
    label = "rlsapp"
    default_auto_field = "django.db.models.BigAutoField"
