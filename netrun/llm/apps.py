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
        from netrun.llm import receivers
        from netrun.llm.checks import (
            check_budget_alerts,
            check_budget_ledger,
            check_chain,
            check_metrics_token,
            check_metrics_top_n,
            check_model_aliases,
            check_offline_provider,
            check_prices,
            check_resilience,
        )
        from netrun.llm.pricing import set_price_source
        from netrun.llm.pricing_django import price_table

        checks.register(check_offline_provider)
        checks.register(check_chain)
        checks.register(check_prices)
        checks.register(check_budget_ledger)
        checks.register(check_budget_alerts)
        checks.register(check_resilience)
        checks.register(check_model_aliases, checks.Tags.database)
        checks.register(check_metrics_token, checks.Tags.security, checks.Tags.urls)
        checks.register(check_metrics_top_n)
        # Admin and settings price overrides are the price source of the enforcer and the
        # telemetry collector; tenant policies and prices are cached, and the receivers drop
        # a cache when the rows behind it change.
        set_price_source(price_table)
        # LLMClient.from_config clients route by the admin's aliases over the settings'.
        from netrun.llm.resilience.django import acurrent_aliases, current_aliases
        from netrun.llm.resilience.routing import set_alias_source

        set_alias_source(current_aliases, acurrent_aliases)
        receivers.connect_signals()
        # Budget alerts watch every enforcer's settled spend (claims need thresholds set).
        from netrun.llm.policy.alerts_django import install_alerts

        install_alerts()
        # Registers the webhook task with every Celery app, so a worker knows it without
        # CELERY_IMPORTS (Celery's autodiscovery looks for tasks.py only). Without Celery,
        # check netrun.llm.E063 reports webhooks set.
        import contextlib

        with contextlib.suppress(ImportError):
            import netrun.llm.celery  # noqa: F401
        # conf is a cached BaseConfig: the one setting_changed receiver keeps it current.
        connect_settings_receiver()
