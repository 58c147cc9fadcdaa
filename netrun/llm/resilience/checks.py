"""System checks of resilience: the breaker store, model aliases (settings and admin) and
context-window fallbacks.

Registered by ``netrun.llm``'s ``ready()``; the IDs are listed in :mod:`netrun.llm.checks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Warning

from netrun.llm.adapters import canonical_provider
from netrun.llm.conf import CHAIN_SETTING
from netrun.llm.conf import checked_config as _config

__all__ = ["check_model_aliases", "check_resilience"]


ALIASES_SETTING = "NETRUN_LLM_MODEL_ALIASES"
FALLBACKS_SETTING = "NETRUN_LLM_CONTEXT_FALLBACKS"


def check_resilience(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """E009, E010, W005: the breaker store, model aliases and context-window fallbacks."""
    from netrun.llm.resilience.config import breaker_store_problem
    from netrun.llm.resilience.context import split_target

    config = _config()
    if config is None:
        return []
    messages: list[CheckMessage] = []
    problem = breaker_store_problem(config.breaker_store)
    if problem is not None:
        hint = "LLMClient.from_config would fail on its first call."
        messages.append(Error(problem, hint=hint, id="netrun.llm.E009"))
    chain = {canonical_provider(name) for name in config.chain}
    targets: list[tuple[str, str]] = []
    for name, entries in config.model_aliases.items():
        group = [entries] if isinstance(entries, str) else list(entries)
        if not group or not all(entry.strip() for entry in group):
            messages.append(
                Error(
                    f"{ALIASES_SETTING}[{name!r}] is an empty group or holds a blank model.",
                    hint='Map a name to a model or a list of models: {"fast": ["gpt-4.1-mini", '
                    '"claude-haiku-4-5"]}.',
                    id="netrun.llm.E010",
                )
            )
        targets.extend((f"{ALIASES_SETTING}[{name!r}]", entry) for entry in group)
    for model, larger in config.context_fallbacks.items():
        if not larger.strip() or split_target(larger)[1] == model:
            messages.append(
                Error(
                    f"{FALLBACKS_SETTING}[{model!r}] is {larger!r}: a fallback must name "
                    "another, larger-context model.",
                    hint='For example {"gpt-4.1-mini": "gpt-4.1"}.',
                    id="netrun.llm.E010",
                )
            )
        targets.append((f"{FALLBACKS_SETTING}[{model!r}]", larger))
    for where, target in targets:
        provider = split_target(target)[0]
        if provider is not None and canonical_provider(provider) not in chain:
            messages.append(
                Warning(
                    f"{where} names {target!r}, whose provider is not in {CHAIN_SETTING}; "
                    "the client skips it.",
                    hint=f"Add {provider} to {CHAIN_SETTING}, or name another model.",
                    id="netrun.llm.W005",
                )
            )
    return messages


def check_model_aliases(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """W006: the admin's aliases, as E010 and W005 check the settings' (for rows saved past
    the admin's validation: a shell, a fixture; or a provider taken out of the chain since)."""
    from django.db import DatabaseError

    from netrun.llm.models import ModelAlias

    config = _config()
    if not databases or config is None:
        return []
    chain = {canonical_provider(name) for name in config.chain}
    try:
        rows = list(ModelAlias.objects.filter(enabled=True).values_list("name", "targets"))
    except DatabaseError:  # not migrated yet: migrate says so
        return []
    return [
        Warning(
            f"The model alias {name!r} (admin) routes to {target!r}: {problem}",
            hint="Edit the alias in the admin, or disable it.",
            obj=name,
            id="netrun.llm.W006",
        )
        for name, targets in rows
        for target in (targets if isinstance(targets, list) and targets else [""])
        if (problem := _admin_target_problem(target, chain)) is not None
    ]


def _admin_target_problem(target: object, chain: set[str | None]) -> str | None:
    from netrun.llm.resilience.context import split_target
    from netrun.llm.resilience.routing import target_problem

    if not isinstance(target, str):
        return "not a model name."
    problem = target_problem(target)
    if problem is not None:
        return problem
    provider = split_target(target)[0]
    if provider is not None and canonical_provider(provider) not in chain:
        return f"its provider is not in {CHAIN_SETTING}; the client skips it."
    return None
