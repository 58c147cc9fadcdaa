"""Django application configuration for ``netrun.llm``."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.core import checks
from django.core.signals import setting_changed


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    from netrun.config.registry import django_setting_changed
    from netrun.llm.conf import LLMConfig

    if setting in LLMConfig.django_setting_names():
        django_setting_changed(setting)


class NetrunLlmConfig(AppConfig):
    name = "netrun.llm"
    label = "netrun_llm"
    verbose_name = "Netrun LLM"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
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

        # netrun.config's own receiver reloads every NETRUN_* setting; without that app,
        # refresh LLMConfig here so override_settings(NETRUN_LLM_...) is seen.
        if not apps.is_installed("netrun.config"):
            setting_changed.connect(_on_setting_changed, dispatch_uid="netrun.llm.setting_changed")
