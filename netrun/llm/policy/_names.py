"""Provider and model names as the price table and the policy rules match them.

Re-exported by :mod:`netrun.llm.policy.pricing`. Framework-neutral: no Django import.
"""

from __future__ import annotations

import functools
import re

__all__ = ["model_aliases", "normalize_provider"]


# Provider names as callers spell them, mapped to the table's names.
_PROVIDER_ALIASES = {
    "openai": "openai",
    "azure": "azure_openai",
    "azure_openai": "azure_openai",
    "azure-openai": "azure_openai",
    "azureopenai": "azure_openai",
    "anthropic": "anthropic",
    "claude": "anthropic",
    "google": "gemini",
    "gemini": "gemini",
    "vertex": "gemini",
    "ollama": "ollama",
    "local": "ollama",
}


def normalize_provider(provider: str) -> str:
    """The table's name for ``provider`` (``"claude"`` -> ``"anthropic"``); unknown ones as is."""
    name = provider.strip().lower()
    return _PROVIDER_ALIASES.get(name, name)


# Dated snapshots and moving aliases price like their base model: "gpt-4o-2024-08-06",
# "claude-sonnet-4-5-20250929", "claude-3-5-haiku-latest", "models/gemini-2.5-pro".
_SNAPSHOT = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|-latest|-preview(?:-[\w.-]+)?|-\d{3})$")


@functools.lru_cache(maxsize=4096)
def model_aliases(model: str) -> tuple[str, ...]:
    """``model`` lower-cased, then without a path prefix and snapshot suffixes, in that order.

    ``"openai/gpt-4o-2024-08-06"`` -> ``("openai/gpt-4o-2024-08-06", "gpt-4o-2024-08-06",
    "gpt-4o")``. Prices and policy allow/deny lists both match on these, so a dated snapshot
    can neither escape a deny list nor go unpriced.
    """
    name = model.strip().lower()
    aliases = [name]
    name = name.rsplit("/", 1)[-1]  # "models/gemini-2.5-pro", "openai/gpt-4o"
    while True:
        if name not in aliases:
            aliases.append(name)
        stripped = _SNAPSHOT.sub("", name)
        if stripped == name:
            return tuple(aliases)
        name = stripped
