"""Django application configuration for ``netrun.rbac``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class NetrunRbacConfig(AppConfig):
    name = "netrun.rbac"
    label = "netrun_rbac"
    verbose_name = "Netrun RBAC"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: the package root stays importable without Django settings.
        from django.db.models.signals import m2m_changed

        from netrun.config import on_reload
        from netrun.config.receivers import connect_settings_receiver
        from netrun.rbac.access import reset_checker_on_change
        from netrun.rbac.checks import (
            check_backends,
            check_managers,
            check_middleware,
            check_strategies,
            check_tenant_cache,
            check_tenant_model,
            check_tenant_scope,
        )
        from netrun.rbac.middleware import connect_invalidation
        from netrun.rbac.receivers import guard_m2m_links

        checks.register(check_tenant_model)
        checks.register(check_managers)
        checks.register(check_strategies)
        checks.register(check_middleware)
        checks.register(check_backends)
        checks.register(check_tenant_scope)
        checks.register(check_tenant_cache)
        m2m_changed.connect(guard_m2m_links, dispatch_uid="netrun_rbac_guard_m2m_links")
        # A saved or deleted tenant or membership clears TenantMiddleware's cache everywhere.
        connect_invalidation()
        # conf is a cached BaseConfig: the one setting_changed receiver keeps it current.
        connect_settings_receiver()
        # The permission checker is built from NETRUN_RBAC_BACKENDS.
        on_reload(reset_checker_on_change)
