"""Azure OpenAI through the ``openai`` SDK's ``AzureOpenAI`` / ``AsyncAzureOpenAI``.

On Azure the "model" of a request is a *deployment* name; the SDK puts it in the URL
(``/openai/deployments/<deployment>/chat/completions?api-version=...``) and sends the key in
the ``api-key`` header. ``deployments`` maps model names the application uses to deployment
names, so ``chat(..., model="gpt-4o")`` works on both OpenAI and Azure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from netrun.llm.adapters._call import config_limits, need_setting
from netrun.llm.adapters.openai import OpenAIAdapter

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from netrun.llm.adapters._adapter import BaseLLMAdapter
    from netrun.llm.adapters.sdk import KeyOptions
    from netrun.llm.conf import LLMConfig

__all__ = ["DEFAULT_API_VERSION", "AzureOpenAIAdapter"]

#: A generally available Azure OpenAI data-plane API version.
DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIAdapter(OpenAIAdapter):
    """Azure OpenAI deployments: ``endpoint`` is ``https://<resource>.openai.azure.com``."""

    provider: ClassVar[str] = "azure_openai"
    request_id_headers: ClassVar[tuple[str, ...]] = ("x-request-id", "apim-request-id")
    client_class_names: ClassVar[tuple[str, str]] = ("AzureOpenAI", "AsyncAzureOpenAI")

    def __init__(
        self,
        *,
        endpoint: str,
        deployment: str,
        api_version: str = DEFAULT_API_VERSION,
        deployments: Mapping[str, str] | None = None,
        embedding_deployment: str | None = None,
        **options: Unpack[KeyOptions],
    ) -> None:
        """``options``: ``api_key`` (required), ``max_tokens``, ``timeout``,
        ``default_headers``, as :class:`~netrun.llm.adapters.sdk.HostedAdapter` takes them."""
        # Embeddings need a deployment of an embedding model: none unless one is named.
        super().__init__(model=deployment, embedding_model=embedding_deployment, **options)
        self.endpoint = endpoint
        self.api_version = api_version
        self.deployments = dict(deployments or {})

    @classmethod
    def from_config(cls, name: str, config: LLMConfig) -> BaseLLMAdapter:
        need_setting(config.azure_openai_key, "AZURE_OPENAI_API_KEY", name)
        need_setting(config.azure_openai_endpoint, "AZURE_OPENAI_ENDPOINT", name)
        need_setting(config.azure_openai_deployment, "LLM_AZURE_OPENAI_DEPLOYMENT", name)
        return cls(
            endpoint=str(config.azure_openai_endpoint),
            api_key=config.azure_openai_key,
            deployment=str(config.azure_openai_deployment),
            api_version=config.azure_openai_api_version,
            deployments=config.azure_openai_deployments,
            **config_limits(config),
        )

    def _client_options(self) -> dict[str, Any]:
        # Not OpenAI's base_url and organization.
        return {"azure_endpoint": self.endpoint, "api_version": self.api_version}

    def _model_name(self, model: str) -> str:
        # On Azure a request names a deployment.
        return self.deployments.get(model, model)
