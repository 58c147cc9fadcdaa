"""Which adapter a chain entry names, built from the configuration.

:func:`build_adapter` is what :meth:`~netrun.llm.LLMClient.from_config` calls for each entry
of ``NETRUN_LLM_PROVIDER_CHAIN``. Framework-neutral: no Django import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netrun.errors import ConfigurationError
from netrun.llm.adapters import (
    ADAPTER_CLASSES,
    AnthropicAdapter,
    AzureOpenAIAdapter,
    BaseLLMAdapter,
    GeminiAdapter,
    OfflineAdapter,
    OllamaAdapter,
    OpenAIAdapter,
    canonical_provider,
)

if TYPE_CHECKING:
    from netrun.llm.conf import LLMConfig

__all__ = ["build_adapter"]


def build_adapter(name: str, config: LLMConfig) -> BaseLLMAdapter:
    """The adapter for chain entry ``name`` configured from ``config``.

    Raises :class:`ConfigurationError` naming ``NETRUN_LLM_PROVIDER_CHAIN`` for an unknown
    name and the missing setting for a provider that cannot work without it.
    """
    provider = canonical_provider(name)
    common: dict[str, Any] = {"max_tokens": config.max_output_tokens, "timeout": config.timeout}
    if provider == "anthropic":
        _need(config.anthropic_api_key, "ANTHROPIC_API_KEY", name)
        return AnthropicAdapter(
            api_key=config.anthropic_api_key,
            base_url=config.anthropic_base_url,
            model=config.anthropic_model,
            **common,
        )
    if provider == "openai":
        _need(config.openai_api_key, "OPENAI_API_KEY", name)
        return OpenAIAdapter(
            api_key=config.openai_api_key,
            base_url=config.openai_base_url,
            model=config.openai_model,
            **common,
        )
    if provider == "azure_openai":
        _need(config.azure_openai_key, "AZURE_OPENAI_API_KEY", name)
        _need(config.azure_openai_endpoint, "AZURE_OPENAI_ENDPOINT", name)
        _need(config.azure_openai_deployment, "LLM_AZURE_OPENAI_DEPLOYMENT", name)
        return AzureOpenAIAdapter(
            endpoint=str(config.azure_openai_endpoint),
            api_key=config.azure_openai_key,
            deployment=str(config.azure_openai_deployment),
            api_version=config.azure_openai_api_version,
            deployments=config.azure_openai_deployments,
            **common,
        )
    if provider == "gemini":
        _need(config.gemini_api_key, "GEMINI_API_KEY", name)
        return GeminiAdapter(
            api_key=config.gemini_api_key,
            base_url=config.gemini_base_url,
            model=config.gemini_model,
            **common,
        )
    if provider == "ollama":
        return OllamaAdapter(base_url=config.ollama_base_url, model=config.ollama_model, **common)
    if provider == "offline":
        return OfflineAdapter(**common)
    known = ", ".join(sorted({*ADAPTER_CLASSES, "claude", "azure"}))
    raise ConfigurationError(
        f"NETRUN_LLM_PROVIDER_CHAIN names an unknown LLM provider {name!r}; known: {known}.",
        setting="NETRUN_LLM_PROVIDER_CHAIN",
    )


def _need(value: object, variable: str, provider: str) -> None:
    if not value:
        raise ConfigurationError(
            f"The LLM provider {provider!r} needs {variable} "
            f"(or the Django setting NETRUN_LLM_{variable.removeprefix('LLM_')}).",
            setting=variable,
            provider=provider,
        )
