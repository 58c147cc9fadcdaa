from __future__ import annotations

from django.apps import AppConfig


class RetroappConfig(AppConfig):
    name = "retroapp"
    default_auto_field = "django.db.models.BigAutoField"
