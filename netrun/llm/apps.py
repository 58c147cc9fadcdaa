"""Django application configuration for ``netrun.llm``."""

from __future__ import annotations

from django.apps import AppConfig


class NetrunLlmConfig(AppConfig):
    name = "netrun.llm"
    label = "netrun_llm"
    verbose_name = "Netrun LLM"
    default_auto_field = "django.db.models.BigAutoField"
