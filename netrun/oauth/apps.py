"""Django application configuration for ``netrun.oauth``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class NetrunOauthConfig(AppConfig):
    name = "netrun.oauth"
    label = "netrun_oauth"
    verbose_name = "Netrun OAuth"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.oauth.checks import check_hooks, check_providers
        from netrun.oauth.clients import reset_clients

        checks.register(check_providers)
        checks.register(check_hooks)
        # Clients hold discovery and JWKS caches built from NETRUN_OAUTH_PROVIDERS.
        setting_changed.connect(reset_clients, dispatch_uid="netrun_oauth_reset_clients")
