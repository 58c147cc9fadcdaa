"""OpenAI through the official ``openai`` SDK (``OpenAI`` / ``AsyncOpenAI``).

The SDK's own retries are off (``max_retries=0``): :class:`~netrun.llm.client.LLMClient`
retries, so that every attempt is policy-checked, recorded and honours ``Retry-After``.
Streams always ask for usage (``stream_options={"include_usage": True}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from netrun.llm.adapters._call import ProviderCall
from netrun.llm.adapters._flow import Flow, wait
from netrun.llm.adapters._formats import openai_messages, openai_tool_request
from netrun.llm.adapters._stream import StreamState
from netrun.llm.adapters.sdk import SDKAdapter
from netrun.llm.tools import ToolCall
from netrun.llm.types import ChatMessage, EmbeddingResponse, LLMResponse, Usage, usage_from

if TYPE_CHECKING:
    from collections.abc import Sequence

    from openai.types import CompletionUsage, CreateEmbeddingResponse
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
    from pydantic import SecretStr
    from typing_extensions import Unpack

    from netrun.llm.adapters.sdk import HostedOptions
    from netrun.llm.conf import LLMConfig

__all__ = ["DEFAULT_EMBEDDING_MODEL", "OpenAIAdapter", "openai_usage"]

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"


def openai_usage(usage: CompletionUsage | None) -> Usage | None:
    """Normalise OpenAI's usage: ``prompt_tokens`` there INCLUDES the cached tokens."""
    if usage is None:
        return None
    prompt = usage.prompt_tokens_details
    completion = usage.completion_tokens_details
    return Usage.from_openai(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cached_tokens=prompt.cached_tokens if prompt else None,
        cache_write_tokens=prompt.cache_write_tokens if prompt else None,
        reasoning_tokens=completion.reasoning_tokens if completion else None,
    )


class OpenAIAdapter(SDKAdapter):
    """OpenAI's Chat Completions API; ``base_url`` points it at a proxy or a stub."""

    provider: ClassVar[str] = "openai"
    sdk_module: ClassVar[str | None] = "openai"
    sdk_extra: ClassVar[str | None] = "openai"
    client_class_names: ClassVar[tuple[str, str]] = ("OpenAI", "AsyncOpenAI")
    key_setting: ClassVar[str] = "OPENAI_API_KEY"

    @classmethod
    def _settings(cls, config: LLMConfig) -> tuple[SecretStr | None, str | None, str]:
        return config.openai_api_key, config.openai_base_url, config.openai_model

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        organization: str | None = None,
        embedding_model: str | None = DEFAULT_EMBEDDING_MODEL,
        **options: Unpack[HostedOptions],
    ) -> None:
        """``options``: ``api_key`` (required), ``base_url``, ``max_tokens``, ``timeout``,
        ``default_headers``, as :class:`~netrun.llm.adapters.sdk.HostedAdapter` takes them."""
        super().__init__(model=model, **options)
        self.embedding_model = embedding_model
        self.organization = organization

    # -------------------------------------------------------------- SDK clients

    def _client_options(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "organization": self.organization}

    # -------------------------------------------------------------- requests

    def _request(self, call: ProviderCall, *, stream: bool) -> dict[str, Any]:
        # max_completion_tokens replaced max_tokens and is the one reasoning models accept.
        request: dict[str, Any] = {
            "model": self._model_name(call.model),
            "messages": openai_messages(call.messages),
            "max_completion_tokens": call.max_tokens,
            **openai_tool_request(call.tools, call.tool_choice),
            **call.options,
        }
        if call.response_schema is not None:
            schema = call.response_schema
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema.name,
                    "schema": dict(schema.schema),
                    "strict": schema.strict,
                },
            }
        if stream:
            request["stream"] = True
            request["stream_options"] = {"include_usage": True}
        return request

    def _model_name(self, model: str) -> str:
        """What the request names as its model."""
        return model

    def _create(self, client: Any, request: dict[str, Any]) -> Any:
        return client.chat.completions.create(**request)

    def _response(self, completion: ChatCompletion, model: str) -> LLMResponse:
        choice = completion.choices[0] if completion.choices else None
        return LLMResponse(
            text=(choice.message.content or "") if choice else "",
            provider=self.provider,
            model=completion.model or model,
            usage=openai_usage(completion.usage) or Usage(),
            finish_reason=choice.finish_reason if choice else None,
            request_id=completion._request_id,
            tool_calls=tuple(
                ToolCall.of(call.id, call.function.name, call.function.arguments)
                for call in (choice.message.tool_calls or () if choice else ())
                if call.type == "function"
            ),
        )

    # -------------------------------------------------------------- embeddings

    def _embedding(
        self, texts: Sequence[ChatMessage], model: str, *, asynchronous: bool
    ) -> Flow[EmbeddingResponse]:
        request = {
            "model": self._model_name(model),
            "input": [text.content for text in texts],
            "encoding_format": "float",
        }
        answer = yield wait(self._client_for(asynchronous).embeddings.create(**request))
        return self._embeddings(answer, model)

    def _embeddings(self, answer: CreateEmbeddingResponse, model: str) -> EmbeddingResponse:
        ordered = sorted(answer.data, key=lambda item: item.index)
        return EmbeddingResponse(
            text="",
            provider=self.provider,
            model=answer.model or model,
            usage=usage_from(answer.usage),
            request_id=answer._request_id,
            embeddings=tuple(tuple(item.embedding) for item in ordered),
        )

    def _read_event(self, chunk: ChatCompletionChunk, state: StreamState) -> str:
        if chunk.model:
            state.model = chunk.model
        if chunk.usage is not None:
            state.usage = openai_usage(chunk.usage)
            state.usage_final = True
        text = ""
        for choice in chunk.choices:
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason
            if choice.index != 0:
                continue
            if choice.delta.content:
                text += choice.delta.content
            for call in choice.delta.tool_calls or ():
                function = call.function
                state.tool_calls.start(call.index, call.id, function.name if function else None)
                state.tool_calls.add(call.index, function.arguments if function else None)
        return text
