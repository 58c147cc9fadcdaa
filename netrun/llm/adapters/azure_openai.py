"""Azure OpenAI through the ``openai`` SDK's ``AzureOpenAI`` / ``AsyncAzureOpenAI``.

On Azure the "model" of a request is a *deployment* name; the SDK puts it in the URL
(``/openai/deployments/<deployment>/chat/completions?api-version=...``) and sends the key in
the ``api-key`` header. ``deployments`` maps model names the application uses to deployment
names, so ``chat(..., model="gpt-4o")`` works on both OpenAI and Azure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from netrun.llm.adapters.base import SDKAdapter
from netrun.llm.adapters.openai import OpenAIAdapter

if TYPE_CHECKING:
    import openai
    from pydantic import SecretStr

__all__ = ["DEFAULT_API_VERSION", "AzureOpenAIAdapter"]

#: A generally available Azure OpenAI data-plane API version.
DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIAdapter(OpenAIAdapter):
    """Azure OpenAI deployments: ``endpoint`` is ``https://<resource>.openai.azure.com``."""

    provider: ClassVar[str] = "azure_openai"
    request_id_headers: ClassVar[tuple[str, ...]] = ("x-request-id", "apim-request-id")

    def __init__(
        self,
        *,
        endpoint: str,
        api_key: str | SecretStr | None,
        deployment: str,
        api_version: str = DEFAULT_API_VERSION,
        deployments: Mapping[str, str] | None = None,
        max_tokens: int = 1024,
        timeout: float = 60.0,
        default_headers: Mapping[str, str] | None = None,
        embedding_deployment: str | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            model=deployment,
            max_tokens=max_tokens,
            timeout=timeout,
            default_headers=default_headers,
            # Embeddings need a deployment of an embedding model: none unless one is named.
            embedding_model=embedding_deployment,
        )
        self.endpoint = endpoint
        self.api_version = api_version
        self.deployments = dict(deployments or {})

    def _client_kwargs(self) -> dict[str, Any]:
        # The key, timeout, headers and retries of every SDK adapter; not OpenAI's base_url
        # and organization.
        return {
            **SDKAdapter._client_kwargs(self),
            "azure_endpoint": self.endpoint,
            "api_version": self.api_version,
        }

    def _client_classes(self) -> tuple[type[openai.OpenAI], type[openai.AsyncOpenAI]]:
        import openai

        return openai.AzureOpenAI, openai.AsyncAzureOpenAI

    def _model_name(self, model: str) -> str:
        # On Azure a request names a deployment.
        return self.deployments.get(model, model)
