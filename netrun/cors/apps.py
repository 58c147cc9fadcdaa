"""Django application configuration for ``netrun.cors``."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.core import checks
from django.core.signals import setting_changed


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    from netrun.config.registry import django_setting_changed
    from netrun.cors.conf import CORSConfig

    if setting in CORSConfig.django_setting_names():
        django_setting_changed(setting)


class NetrunCorsConfig(AppConfig):
    name = "netrun.cors"
    label = "netrun_cors"
    verbose_name = "Netrun CORS"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.cors.checks import (
            check_csrf_trusted_origins,
            check_middleware,
            check_policy,
            check_view_policies,
        )

        checks.register(check_policy)
        checks.register(check_view_policies, checks.Tags.urls)
        checks.register(check_middleware)
        checks.register(check_csrf_trusted_origins)
        # netrun.config's own receiver already reloads every NETRUN_* setting; without that
        # app, refresh CORSConfig here so override_settings(NETRUN_CORS_...) is seen.
        if not apps.is_installed("netrun.config"):
            setting_changed.connect(_on_setting_changed, dispatch_uid="netrun.cors.setting_changed")
