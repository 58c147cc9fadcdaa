"""Model aliases and routing groups edited in the admin: :class:`ModelAlias` rows win over
``NETRUN_LLM_MODEL_ALIASES`` entries of the same name (see
:mod:`netrun.llm.resilience.django`, which reads these rows)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from netrun.llm.resilience.routing import target_problem

__all__ = ["ModelAlias", "validate_targets"]


def validate_targets(value: Any) -> None:
    """A non-empty list of ``provider/model`` or bare model names; each bad one is named."""
    if not isinstance(value, list) or not value:
        raise ValidationError("List at least one model.", code="empty")
    problems = [
        target_problem(target) if isinstance(target, str) else f"{target!r} is not a name."
        for target in value
    ]
    errors = [
        ValidationError("%(problem)s", code="target", params={"problem": problem})
        for problem in problems
        if problem is not None
    ]
    if errors:
        raise ValidationError(errors)


class ModelAlias(models.Model):
    """A name callers use for one model (an alias) or several tried in order (a routing
    group): ``"fast"`` -> ``["openai/gpt-4.1-mini", "claude-haiku-4-5"]``. Global, not tenant
    data; a disabled row leaves the settings' entry of that name (if any) in force."""

    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[RegexValidator(r"^\S+$", "A name without spaces.")],
        help_text='What callers pass as model=, e.g. "fast".',
    )
    targets = models.JSONField(
        default=list,
        validators=[validate_targets],
        help_text="The models tried in order: provider/model, or a bare model name.",
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: models.Manager[ModelAlias] = models.Manager()

    class Meta:
        db_table = "netrun_llm_model_alias"
        ordering = ("name",)
        verbose_name = "model alias"
        verbose_name_plural = "model aliases and routing groups"

    def __str__(self) -> str:
        return self.name
