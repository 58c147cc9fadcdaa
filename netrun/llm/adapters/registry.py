"""Which adapter a chain entry names, built from the configuration.

:func:`build_adapter` is what :meth:`~netrun.llm.LLMClient.from_config` calls for each entry
of ``NETRUN_LLM_PROVIDER_CHAIN``: it looks the entry up in
:data:`~netrun.llm.adapters.ADAPTER_CLASSES` and lets the class build itself
(:meth:`~netrun.llm.adapters.BaseLLMAdapter.from_config`). Framework-neutral: no Django import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netrun.errors import ConfigurationError
from netrun.llm.adapters import ADAPTER_CLASSES, BaseLLMAdapter, canonical_provider

if TYPE_CHECKING:
    from netrun.llm.conf import LLMConfig

__all__ = ["build_adapter"]


def build_adapter(name: str, config: LLMConfig) -> BaseLLMAdapter:
    """The adapter for chain entry ``name`` configured from ``config``.

    Raises :class:`ConfigurationError` naming ``NETRUN_LLM_PROVIDER_CHAIN`` for an unknown
    name and the missing setting for a provider that cannot work without it.
    """
    provider = canonical_provider(name)
    if provider is None:
        known = ", ".join(sorted({*ADAPTER_CLASSES, "claude", "azure"}))
        raise ConfigurationError(
            f"NETRUN_LLM_PROVIDER_CHAIN names an unknown LLM provider {name!r}; known: {known}.",
            setting="NETRUN_LLM_PROVIDER_CHAIN",
        )
    return ADAPTER_CLASSES[provider].from_config(name, config)
