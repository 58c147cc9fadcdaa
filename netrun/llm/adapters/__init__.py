"""Provider adapters: one module per provider, the same :class:`BaseLLMAdapter` API for all.

=================  ==============================  ==========================================
Chain name         Class                           Transport
=================  ==============================  ==========================================
``claude``         :class:`AnthropicAdapter`       official ``anthropic`` SDK
(``anthropic``)
``openai``         :class:`OpenAIAdapter`          official ``openai`` SDK
``azure_openai``   :class:`AzureOpenAIAdapter`     ``openai`` SDK, ``AzureOpenAI``
(``azure``)
``gemini``         :class:`GeminiAdapter`          official ``google-genai`` SDK
``ollama``         :class:`OllamaAdapter`          Ollama's HTTP API with ``httpx``
``offline``        :class:`OfflineAdapter`         none: canned development answers
=================  ==============================  ==========================================

The SDKs are imported when an adapter first talks to its provider, so this package imports
without them. Framework-neutral: no Django import.
"""

from __future__ import annotations

from netrun.llm.adapters.anthropic import AnthropicAdapter
from netrun.llm.adapters.azure_openai import AzureOpenAIAdapter
from netrun.llm.adapters.base import AsyncChatStream, BaseLLMAdapter, ChatStream, StreamState
from netrun.llm.adapters.errors import LLMProviderAuthenticationError, LLMStreamInterruptedError
from netrun.llm.adapters.gemini import GeminiAdapter
from netrun.llm.adapters.offline import OFFLINE_PREFIX, OfflineAdapter
from netrun.llm.adapters.ollama import OllamaAdapter
from netrun.llm.adapters.openai import OpenAIAdapter

__all__ = [
    "ADAPTER_CLASSES",
    "LOCAL_PROVIDERS",
    "OFFLINE_PREFIX",
    "PROVIDER_ALIASES",
    "AnthropicAdapter",
    "AsyncChatStream",
    "AzureOpenAIAdapter",
    "BaseLLMAdapter",
    "ChatStream",
    "GeminiAdapter",
    "LLMProviderAuthenticationError",
    "LLMStreamInterruptedError",
    "OfflineAdapter",
    "OllamaAdapter",
    "OpenAIAdapter",
    "StreamState",
    "canonical_provider",
]

#: Canonical provider name -> adapter class.
ADAPTER_CLASSES: dict[str, type[BaseLLMAdapter]] = {
    "anthropic": AnthropicAdapter,
    "openai": OpenAIAdapter,
    "azure_openai": AzureOpenAIAdapter,
    "gemini": GeminiAdapter,
    "ollama": OllamaAdapter,
    "offline": OfflineAdapter,
}

#: Other names the chain accepts (the seeds say "claude").
PROVIDER_ALIASES: dict[str, str] = {
    "claude": "anthropic",
    "azure": "azure_openai",
    "azure-openai": "azure_openai",
    "google": "gemini",
}

#: Providers that cost nothing per token: where budget refusals fall back to.
LOCAL_PROVIDERS = frozenset({"ollama", "offline"})


def canonical_provider(name: str) -> str | None:
    """The canonical name of a chain entry (case and spaces ignored), ``None`` if unknown."""
    key = name.strip().lower()
    key = PROVIDER_ALIASES.get(key, key)
    return key if key in ADAPTER_CLASSES else None
