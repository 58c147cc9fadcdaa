"""Every adapter builds itself from the settings; ``build_adapter`` only looks the class up."""

from __future__ import annotations

from typing import Any

import pytest

from netrun.errors import ConfigurationError
from netrun.llm import LLMClient
from netrun.llm.adapters import (
    ADAPTER_CLASSES,
    AnthropicAdapter,
    AzureOpenAIAdapter,
    BaseLLMAdapter,
    GeminiAdapter,
    OfflineAdapter,
    OllamaAdapter,
    OpenAIAdapter,
)
from netrun.llm.adapters.registry import build_adapter
from netrun.llm.conf import LLMConfig
from tests.llm.adapters.conftest import API_KEY


def config(**values: Any) -> LLMConfig:
    # Every key unset unless given: the machine's environment must not fill one in.
    keys = ("anthropic_api_key", "openai_api_key", "azure_openai_key", "gemini_api_key")
    unset: dict[str, Any] = dict.fromkeys(keys)
    unset.update(azure_openai_endpoint=None, azure_openai_deployment=None)
    return LLMConfig(**{**unset, **values}, max_output_tokens=300, timeout=7.5, _env_file=None)


def test_anthropic_builds_from_its_key_base_url_and_model() -> None:
    settings = config(
        anthropic_api_key=API_KEY,
        anthropic_base_url="http://127.0.0.1:9/anthropic",
        anthropic_model="claude-opus-4-1",
    )
    adapter = AnthropicAdapter.from_config("claude", settings)
    assert isinstance(adapter, AnthropicAdapter)
    assert adapter._api_key == API_KEY  # the SecretStr's text
    assert (adapter.base_url, adapter.model) == ("http://127.0.0.1:9/anthropic", "claude-opus-4-1")
    assert (adapter.max_tokens, adapter.timeout) == (300, 7.5)


def test_openai_builds_from_its_key_base_url_and_model() -> None:
    settings = config(
        openai_api_key=API_KEY, openai_base_url="http://127.0.0.1:9/v1", openai_model="gpt-4.1"
    )
    adapter = OpenAIAdapter.from_config("openai", settings)
    assert isinstance(adapter, OpenAIAdapter)
    assert adapter._api_key == API_KEY
    assert (adapter.base_url, adapter.model) == ("http://127.0.0.1:9/v1", "gpt-4.1")
    assert adapter.embedding_model == "text-embedding-3-small"
    assert (adapter.max_tokens, adapter.timeout) == (300, 7.5)


def test_azure_builds_from_its_endpoint_deployment_and_version() -> None:
    settings = config(
        azure_openai_key=API_KEY,
        azure_openai_endpoint="https://acme.openai.azure.com",
        azure_openai_deployment="chat-prod",
        azure_openai_api_version="2025-01-01",
        azure_openai_deployments={"gpt-4o": "gpt4o-prod"},
    )
    adapter = AzureOpenAIAdapter.from_config("azure", settings)
    assert isinstance(adapter, AzureOpenAIAdapter)
    assert (adapter.endpoint, adapter.model) == ("https://acme.openai.azure.com", "chat-prod")
    assert adapter.api_version == "2025-01-01"
    assert adapter.deployments == {"gpt-4o": "gpt4o-prod"}
    assert adapter.embedding_model is None  # no embedding deployment named
    assert (adapter.max_tokens, adapter.timeout) == (300, 7.5)


def test_gemini_builds_from_its_key_base_url_and_model() -> None:
    settings = config(
        gemini_api_key=API_KEY, gemini_base_url="http://127.0.0.1:9", gemini_model="gemini-2.5-pro"
    )
    adapter = GeminiAdapter.from_config("google", settings)
    assert isinstance(adapter, GeminiAdapter)
    assert adapter._api_key == API_KEY
    assert (adapter.base_url, adapter.model) == ("http://127.0.0.1:9", "gemini-2.5-pro")


def test_ollama_and_offline_need_no_setting() -> None:
    settings = config(ollama_base_url="http://127.0.0.1:9/", ollama_model="qwen3")
    ollama = OllamaAdapter.from_config("ollama", settings)
    assert isinstance(ollama, OllamaAdapter)
    assert (ollama.base_url, ollama.model, ollama.max_tokens) == (
        "http://127.0.0.1:9",
        "qwen3",
        300,
    )
    offline = OfflineAdapter.from_config("offline", settings)
    assert isinstance(offline, OfflineAdapter)
    assert (offline.max_tokens, offline.timeout) == (300, 7.5)


@pytest.mark.parametrize(
    ("entry", "values", "variable"),
    [
        ("claude", {}, "ANTHROPIC_API_KEY"),
        ("openai", {}, "OPENAI_API_KEY"),
        ("gemini", {}, "GEMINI_API_KEY"),
        ("azure", {}, "AZURE_OPENAI_API_KEY"),
        ("azure_openai", {"azure_openai_key": API_KEY}, "AZURE_OPENAI_ENDPOINT"),
        (
            "azure_openai",
            {"azure_openai_key": API_KEY, "azure_openai_endpoint": "https://x.openai.azure.com"},
            "LLM_AZURE_OPENAI_DEPLOYMENT",
        ),
    ],
)
def test_a_missing_setting_is_named_with_its_django_setting(
    entry: str, values: dict[str, Any], variable: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build_adapter(entry, config(**values))
    django_setting = "NETRUN_LLM_" + variable.removeprefix("LLM_")
    assert caught.value.message == (
        f"The LLM provider {entry!r} needs {variable} (or the Django setting {django_setting})."
    )
    assert caught.value.details == {"setting": variable, "provider": entry}


def test_an_unknown_entry_names_the_chain_setting_and_the_known_providers() -> None:
    with pytest.raises(ConfigurationError) as caught:
        build_adapter("mistral", config())
    assert caught.value.message == (
        "NETRUN_LLM_PROVIDER_CHAIN names an unknown LLM provider 'mistral'; known: anthropic, "
        "azure, azure_openai, claude, gemini, offline, ollama, openai."
    )
    assert caught.value.details == {"setting": "NETRUN_LLM_PROVIDER_CHAIN"}


@pytest.mark.parametrize("entry", [" Claude ", "AZURE", "google", "offline"])
def test_build_adapter_is_the_class_of_the_canonical_name(entry: str) -> None:
    settings = config(
        anthropic_api_key=API_KEY,
        azure_openai_key=API_KEY,
        azure_openai_endpoint="https://x.openai.azure.com",
        azure_openai_deployment="d",
        gemini_api_key=API_KEY,
    )
    adapter = build_adapter(entry, settings)
    assert type(adapter) in ADAPTER_CLASSES.values()
    assert adapter.provider in {"anthropic", "azure_openai", "gemini", "offline"}
    assert type(adapter).from_config(entry, settings).provider == adapter.provider


def test_every_registered_class_builds_itself() -> None:
    # Each class has its own from_config: none falls back to the base's refusal.
    refusal = BaseLLMAdapter.from_config.__func__  # type: ignore[attr-defined]
    for cls in ADAPTER_CLASSES.values():
        assert getattr(cls.from_config, "__func__", None) is not refusal


def test_an_adapter_that_cannot_build_itself_says_so() -> None:
    class Custom(BaseLLMAdapter):  # abstract: from_config is all it is asked for
        provider = "custom"

    with pytest.raises(NotImplementedError, match="Custom does not build itself from settings"):
        Custom.from_config("custom", config())


class EchoAdapter(OfflineAdapter):
    """A custom provider: the offline answers under a name of its own."""

    provider = "echo"


def test_a_custom_adapter_in_adapter_classes_can_stand_in_the_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(ADAPTER_CLASSES, "echo", EchoAdapter)
    adapter = build_adapter("Echo", config())
    assert type(adapter) is EchoAdapter
    client = LLMClient.from_config(config(provider_chain="echo", local_provider=""))
    assert [type(adapter) for adapter in client.adapters] == [EchoAdapter]
    assert client.chat("hello").provider == "echo"
