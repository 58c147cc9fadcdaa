"""Model aliases edited in the admin, merged over ``NETRUN_LLM_MODEL_ALIASES`` (Django glue).

:func:`current_aliases` is the table a client routes by: the enabled
:class:`~netrun.llm.models.ModelAlias` rows win over the settings' entries of the same name.
The rows are read once per process and again after a save or delete anywhere: the receivers
of :mod:`netrun.llm.receivers` call :func:`invalidate_aliases`, which writes a new generation
in the ``default`` Django cache, read by every lookup (see
:mod:`netrun.llm.resilience.alias_cache`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async

from netrun.llm.resilience.alias_cache import AliasTableCache
from netrun.llm.resilience.routing import AliasTable, merge_aliases

__all__ = [
    "GENERATION_KEY",
    "acurrent_aliases",
    "admin_aliases",
    "current_aliases",
    "invalidate_aliases",
]

#: The key of the shared generation in the ``default`` cache (``KEY_PREFIX`` applies).
GENERATION_KEY = "netrun:llm:model-aliases-generation"


def _load() -> dict[str, list[str]]:
    from netrun.llm.models import ModelAlias

    rows = ModelAlias.objects.filter(enabled=True).values_list("name", "targets")
    return {name: list(targets) for name, targets in rows}


def _default_cache() -> Any:
    from django.core.cache import caches

    return caches["default"]


_table = AliasTableCache(_load, key=GENERATION_KEY, shared_store=_default_cache)


def admin_aliases() -> dict[str, Sequence[str]]:
    """The enabled aliases of the admin (cached as described above)."""
    return dict(_table.get())


def current_aliases(settings_aliases: AliasTable) -> dict[str, str | Sequence[str]]:
    """``settings_aliases`` (``LLMConfig.model_aliases``) with the admin's aliases over them."""
    return merge_aliases(settings_aliases, _table.get())


async def acurrent_aliases(settings_aliases: AliasTable) -> dict[str, str | Sequence[str]]:
    """:func:`current_aliases` from an event loop (the lookup may query the database)."""
    return await sync_to_async(current_aliases)(settings_aliases)


def invalidate_aliases() -> None:
    """Drop the admin's table here and, through the generation, in every process."""
    _table.invalidate()
