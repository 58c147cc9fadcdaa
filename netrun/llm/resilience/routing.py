"""Model aliases and routing groups: a name the caller uses for one or several models.

``NETRUN_LLM_MODEL_ALIASES = {"smart": "openai/gpt-4.1", "fast": ["gpt-4.1-mini",
"claude-haiku-4-5"]}``: ``client.chat(..., model="fast")`` tries gpt-4.1-mini on OpenAI, then
claude-haiku-4-5 on Anthropic, with the chain's retries, breakers and fallback reasons. An
entry is ``provider/model``, or a bare model whose provider is inferred from its name
(``gpt-``, ``o1``... OpenAI, else Azure OpenAI; ``claude`` Anthropic); other bare names go to
the first provider of the chain. Entries whose provider the client lacks are skipped (logged).
Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from netrun.llm.resilience.context import split_target

__all__ = ["AliasTable", "infer_providers", "route"]

#: A name -> one model (an alias) or models tried in order (a routing group).
AliasTable = Mapping[str, "str | Sequence[str]"]

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
