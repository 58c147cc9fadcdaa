"""Django application configuration for ``netrun.llm``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class NetrunLlmConfig(AppConfig):
    name = "netrun.llm"
    label = "netrun_llm"
    verbose_name = "Netrun LLM"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from netrun.config.receivers import connect_settings_receiver
        from netrun.llm.checks import (
            check_budget_ledger,
            check_chain,
            check_metrics_token,
            check_offline_provider,
            check_prices,
        )

        checks.register(check_offline_provider)
        checks.register(check_chain)
        checks.register(check_prices)
        checks.register(check_budget_ledger)
        checks.register(check_metrics_token, checks.Tags.security, checks.Tags.urls)
        # Admin and settings price overrides: the price source of the enforcer and the
        # telemetry collector, and the receivers that drop its cache on a change.
        import netrun.llm.pricing_django

        # Tenant policies are cached; these receivers drop the cache when a record changes.
        import netrun.llm.signals  # noqa: F401

        # conf is a cached BaseConfig: the one setting_changed receiver keeps it current.
        connect_settings_receiver()
