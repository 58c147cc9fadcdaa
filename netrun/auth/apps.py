"""Django application configuration for ``netrun.auth``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import request_finished

from netrun.core.deps import is_available


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
        self._connect_user_receivers()
        # conf is a cached BaseConfig: the one setting_changed receiver keeps it current.
        connect_settings_receiver()
        if is_available("drf_spectacular"):
            # Defining the extension registers it: drf-spectacular then knows JWTAuthentication.
            import netrun.auth.contrib.spectacular  # noqa: F401

    def _connect_user_receivers(self) -> None:
        from django.contrib.auth import get_user_model
        from django.core.exceptions import ImproperlyConfigured
        from django.db.models.signals import post_init, post_save, pre_save

        from netrun.auth._receivers import remember_credentials, revoke_on_credentials_change

        try:
            user_model = get_user_model()
        except ImproperlyConfigured:  # django.contrib.auth not installed: no users to watch
            return
        uid = "netrun.auth.revoke_on_user_change"
        post_init.connect(remember_credentials, sender=user_model, dispatch_uid=uid + ".init")
        post_save.connect(remember_credentials, sender=user_model, dispatch_uid=uid + ".saved")
        pre_save.connect(revoke_on_credentials_change, sender=user_model, dispatch_uid=uid)
