"""Django application configuration for ``netrun.auth``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_finished


class NetrunAuthConfig(AppConfig):
    name = "netrun.auth"
    label = "netrun_auth"
    verbose_name = "Netrun auth"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.auth._request import end_request_context
        from netrun.auth.checks import check_auth_settings, check_denylist_persistence
        from netrun.config.receivers import connect_settings_receiver

        checks.register(check_auth_settings)
        checks.register(check_denylist_persistence, checks.Tags.security, deploy=True)
        # Ends the user/tenant bindings DRF's authenticator opened (see netrun.auth._request).
        request_finished.connect(
            end_request_context, dispatch_uid="netrun.auth.end_request_context"
        )
        # conf is a cached BaseConfig: the one setting_changed receiver keeps it current.
        connect_settings_receiver()
