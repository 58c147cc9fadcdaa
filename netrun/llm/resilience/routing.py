"""Model aliases and routing groups: a name the caller uses for one or several models.

``NETRUN_LLM_MODEL_ALIASES = {"smart": "openai/gpt-4.1", "fast": ["gpt-4.1-mini",
"claude-haiku-4-5"]}``: ``client.chat(..., model="fast")`` tries gpt-4.1-mini on OpenAI, then
claude-haiku-4-5 on Anthropic, with the chain's retries, breakers and fallback reasons. An
entry is ``provider/model``, or a bare model whose provider is inferred from its name
(``gpt-``, ``o1``... OpenAI, else Azure OpenAI; ``claude`` Anthropic); other bare names go to
the first provider of the chain. Entries whose provider the client lacks are skipped (logged).
Aliases edited in the admin are merged over the settings' (:func:`merge_aliases`; the Django
side is :mod:`netrun.llm.resilience.django`). Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from netrun.llm.adapters import ADAPTER_CLASSES, PROVIDER_ALIASES, canonical_provider
from netrun.llm.resilience.context import split_target

__all__ = [
    "AliasSource",
    "AliasTable",
    "AsyncAliasSource",
    "alias_sources",
    "infer_providers",
    "merge_aliases",
    "route",
    "set_alias_source",
    "target_problem",
]

#: A name -> one model (an alias) or models tried in order (a routing group).
AliasTable = Mapping[str, "str | Sequence[str]"]

#: The table a client routes by, given the settings' table (read once per call).
AliasSource = Callable[[AliasTable], AliasTable]
#: The async twin of :data:`AliasSource`, for an event loop.
AsyncAliasSource = Callable[[AliasTable], Awaitable[AliasTable]]

_alias_sources: tuple[AliasSource, AsyncAliasSource] | None = None


def set_alias_source(source: AliasSource | None, asource: AsyncAliasSource | None = None) -> None:
    """Where ``LLMClient.from_config`` clients read their aliases at each call: ``source``
    (sync) and ``asource`` (async) merge what they hold over the settings' table they are
    given. The Django app sets :func:`netrun.llm.resilience.django.current_aliases` and
    ``acurrent_aliases`` at start-up; ``None`` goes back to the settings' table alone. A client
    built by hand routes by the ``model_aliases`` (or ``alias_source``) it is given."""
    global _alias_sources
    if source is None:
        _alias_sources = None
        return
    if asource is None:
        raise ValueError("set_alias_source needs the async source too")
    _alias_sources = (source, asource)


def alias_sources() -> tuple[AliasSource, AsyncAliasSource] | None:
    """The sources :func:`set_alias_source` set, or ``None``."""
    return _alias_sources


_OPENAI_PREFIXES = ("gpt-", "chatgpt-", "o1", "o3", "o4")


def infer_providers(model: str) -> tuple[str, ...]:
    """The providers a bare model name can be served by, in preference order."""
    name = model.lower()
    if name.startswith(_OPENAI_PREFIXES):
        return ("openai", "azure_openai")
    if name.startswith("claude"):
        return ("anthropic",)
    return ()


def route(name: str, aliases: AliasTable) -> list[tuple[tuple[str, ...], str]] | None:
    """The (candidate providers, model) entries of alias ``name``, or ``None`` if not one.

    An empty provider tuple means "the first provider of the chain".
    """
    entries = aliases.get(name)
    if entries is None:
        return None
    targets = [entries] if isinstance(entries, str) else list(entries)
    routed: list[tuple[tuple[str, ...], str]] = []
    for target in targets:
        provider, model = split_target(target)
        routed.append(((provider,) if provider else infer_providers(model), model))
    return routed


def target_problem(target: str) -> str | None:
    """Why ``target`` is not an alias entry, or ``None`` when it is one.

    An entry is ``provider/model`` with a provider netrun knows, or a bare model name. A slash
    after an unknown name is refused rather than read as part of a model name, so a typo
    (``opnai/gpt-4.1``) is caught; a model whose name holds a slash is written with its
    provider (``ollama/meta-llama/Llama-3.1-8B``).
    """
    if not target.strip():
        return "A model name is blank."
    if target != target.strip() or any(char.isspace() for char in target):
        return f"{target!r} holds spaces."
    prefix, slash, model = target.partition("/")
    if not slash:
        return None
    if not prefix or not model:
        return f"{target!r} misses its provider or its model: write provider/model."
    if canonical_provider(prefix) is None:
        known = ", ".join(sorted({*ADAPTER_CLASSES, *PROVIDER_ALIASES}))
        return f"{target!r} names the unknown provider {prefix!r} (known: {known})."
    return None


def merge_aliases(
    settings_aliases: AliasTable, overrides: Mapping[str, Sequence[str]]
) -> dict[str, str | Sequence[str]]:
    """``settings_aliases`` with ``overrides`` (the admin's) replacing entries of their name."""
    return {**settings_aliases, **overrides}
