"""A loopback stub server per test, and adapters of every provider pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from netrun.llm.adapters import (
    AnthropicAdapter,
    AzureOpenAIAdapter,
    BaseLLMAdapter,
    GeminiAdapter,
    OllamaAdapter,
    OpenAIAdapter,
)
from netrun.llm.testing import StubLLMServer

PROVIDERS = ["openai", "azure_openai", "anthropic", "gemini", "ollama"]
#: What each protocol calls a normal end of answer.
NORMAL_FINISH = {
    "openai": "stop",
    "azure_openai": "stop",
    "anthropic": "end_turn",
    "gemini": "STOP",
    "ollama": "stop",
}
API_KEY = "sk-test-0123456789abcdefghij"

AdapterFactory = Callable[..., BaseLLMAdapter]


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(lifetime=60) as server:
        yield server


def build(provider: str, server: StubLLMServer, **kwargs: Any) -> BaseLLMAdapter:
    kwargs.setdefault("timeout", 5.0)
    if provider == "openai":
        return OpenAIAdapter(api_key=API_KEY, base_url=server.openai_base_url, **kwargs)
    if provider == "azure_openai":
        kwargs.setdefault("deployment", "chat-deployment")
        return AzureOpenAIAdapter(endpoint=server.azure_endpoint, api_key=API_KEY, **kwargs)
    if provider == "anthropic":
        return AnthropicAdapter(api_key=API_KEY, base_url=server.anthropic_base_url, **kwargs)
    if provider == "gemini":
        return GeminiAdapter(api_key=API_KEY, base_url=server.gemini_base_url, **kwargs)
    if provider == "ollama":
        return OllamaAdapter(base_url=server.ollama_base_url, **kwargs)
    raise AssertionError(provider)


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make(stub: StubLLMServer, provider: str) -> AdapterFactory:
    """Build the parametrised provider's adapter against the stub."""

    def factory(**kwargs: Any) -> BaseLLMAdapter:
        return build(provider, stub, **kwargs)

    return factory
