"""Django application configuration for ``netrun.oauth``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class NetrunOauthConfig(AppConfig):
    name = "netrun.oauth"
    label = "netrun_oauth"
    verbose_name = "Netrun OAuth"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.config import on_reload
        from netrun.config.receivers import connect_settings_receiver
        from netrun.oauth.checks import check_hooks, check_providers, check_settings
        from netrun.oauth.clients import reset_on_provider_change

        checks.register(check_settings)
        checks.register(check_providers)
        checks.register(check_hooks)
        # conf is a cached BaseConfig: the one setting_changed receiver keeps it current.
        connect_settings_receiver()
        # Clients hold discovery and JWKS caches built from NETRUN_OAUTH_PROVIDERS.
        on_reload(reset_on_provider_change)
