"""Django application configuration for ``netrun.pytest_fixtures``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunPytestFixturesConfig(AppConfig):
    name = "netrun.pytest_fixtures"
    label = "netrun_pytest_fixtures"
    verbose_name = "Netrun pytest fixtures"
    default_auto_field = "django.db.models.BigAutoField"
