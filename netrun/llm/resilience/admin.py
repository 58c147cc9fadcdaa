"""The admin of model aliases and routing groups (Django glue).

An alias is global, not tenant data: it routes every tenant's calls. Django's model
permissions decide who sees and edits them: superusers, and staff given
``netrun_llm.change_modelalias`` (grant it only to whoever may change routing for every
tenant). Each target is validated (``provider/model`` with a known provider, or a bare model
name); a bad one is a form error that names it. A save or delete reaches every process's next
lookup (:mod:`netrun.llm.resilience.django`). Registered when Django's admin autodiscovers
:mod:`netrun.llm.admin`, which imports this module.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from netrun.llm.models import ModelAlias

__all__ = ["ModelAliasAdmin", "ModelAliasForm"]


class TargetsField(forms.CharField):
    """The targets, one per line, in the order they are tried."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(target) for target in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class ModelAliasForm(forms.ModelForm):  # type: ignore[type-arg]
    targets = TargetsField(
        help_text="One per line, tried in order: provider/model (openai/gpt-4.1-mini) or a "
        "bare model name (claude-haiku-4-5)."
    )

    class Meta:
        model = ModelAlias
        fields = ("name", "targets", "enabled")


@admin.register(ModelAlias)
class ModelAliasAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ModelAliasForm
    list_display = ("name", "routes_to", "enabled", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("name",)
    readonly_fields = ("updated_at",)

    @admin.display(description="routes to")
    def routes_to(self, obj: ModelAlias) -> str:
        return " \N{RIGHTWARDS ARROW} ".join(str(target) for target in obj.targets)
