"""OpenAI through the official ``openai`` SDK (``OpenAI`` / ``AsyncOpenAI``).

The SDK's own retries are off (``max_retries=0``): :class:`~netrun.llm.client.LLMClient`
retries, so that every attempt is policy-checked, recorded and honours ``Retry-After``.
Streams always ask for usage (``stream_options={"include_usage": True}``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from netrun.errors import BadGatewayError, NetrunException
from netrun.llm.adapters.base import ProviderCall, SDKAdapter, StreamState, api_key_value
from netrun.llm.adapters.errors import (
    connection_error,
    error_for_status,
    map_transport_error,
    parse_retry_after,
    timeout_error,
)
from netrun.llm.types import LLMResponse, Usage

if TYPE_CHECKING:
    import openai
    from openai.types import CompletionUsage
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
    from pydantic import SecretStr

__all__ = ["OpenAIAdapter", "openai_usage"]

DEFAULT_MODEL = "gpt-4o-mini"


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
    #: Response headers that carry the provider's request id, first found wins.
    request_id_headers: ClassVar[tuple[str, ...]] = ("x-request-id",)

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None,
        model: str = DEFAULT_MODEL,
        base_url: str | None = None,
        organization: str | None = None,
        max_tokens: int = 1024,
        timeout: float = 60.0,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(model=model, max_tokens=max_tokens, timeout=timeout)
        self._api_key = api_key_value(api_key)
        self.base_url = base_url
        self.organization = organization
        self.default_headers = dict(default_headers or {})
        self._sync: openai.OpenAI | None = None
        self._async: openai.AsyncOpenAI | None = None

    # -------------------------------------------------------------- SDK clients

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            **super()._client_kwargs(),
            "base_url": self.base_url,
            "organization": self.organization,
        }

    def _client_classes(self) -> tuple[type[openai.OpenAI], type[openai.AsyncOpenAI]]:
        import openai

        return openai.OpenAI, openai.AsyncOpenAI

    # -------------------------------------------------------------- requests

    def _request(self, call: ProviderCall, *, stream: bool) -> dict[str, Any]:
        # max_completion_tokens replaced max_tokens and is the one reasoning models accept.
        request: dict[str, Any] = {
            "model": self._model_name(call.model),
            "messages": [message.as_dict() for message in call.messages],
            "max_completion_tokens": call.max_tokens,
            **call.options,
        }
        if stream:
            request["stream"] = True
            request["stream_options"] = {"include_usage": True}
        return request

    def _model_name(self, model: str) -> str:
        """What the request names as its model."""
        return model

    def _request_id(self, headers: Mapping[str, str]) -> str | None:
        for name in self.request_id_headers:
            value = headers.get(name)
            if value:
                return value
        return None

    def _response(self, completion: ChatCompletion, model: str) -> LLMResponse:
        choice = completion.choices[0] if completion.choices else None
        return LLMResponse(
            text=(choice.message.content or "") if choice else "",
            provider=self.provider,
            model=completion.model or model,
            usage=openai_usage(completion.usage) or Usage(),
            finish_reason=choice.finish_reason if choice else None,
            request_id=completion._request_id,
        )

    def _complete(self, call: ProviderCall) -> LLMResponse:
        request = self._request(call, stream=False)
        completion = cast("ChatCompletion", self.client.chat.completions.create(**request))
        return self._response(completion, call.model)

    async def _acomplete(self, call: ProviderCall) -> LLMResponse:
        request = self._request(call, stream=False)
        completion = cast(
            "ChatCompletion", await self.async_client.chat.completions.create(**request)
        )
        return self._response(completion, call.model)

    def _read_chunk(self, chunk: ChatCompletionChunk, state: StreamState) -> str:
        if chunk.model:
            state.model = chunk.model
        if chunk.usage is not None:
            state.usage = openai_usage(chunk.usage)
            state.usage_final = True
        text = ""
        for choice in chunk.choices:
            if choice.finish_reason:
                state.finish_reason = choice.finish_reason
            if choice.index == 0 and choice.delta.content:
                text += choice.delta.content
        return text

    def _stream_deltas(self, call: ProviderCall, state: StreamState) -> Generator[str, None, None]:
        request = self._request(call, stream=True)
        stream = cast(
            "openai.Stream[ChatCompletionChunk]", self.client.chat.completions.create(**request)
        )
        try:
            state.request_id = self._request_id(stream.response.headers)
            for chunk in stream:
                text = self._read_chunk(chunk, state)
                if text:
                    yield text
        finally:
            stream.close()

    async def _astream_deltas(
        self, call: ProviderCall, state: StreamState
    ) -> AsyncGenerator[str, None]:
        request = self._request(call, stream=True)
        stream = cast(
            "openai.AsyncStream[ChatCompletionChunk]",
            await self.async_client.chat.completions.create(**request),
        )
        try:
            state.request_id = self._request_id(stream.response.headers)
            async for chunk in stream:
                text = self._read_chunk(chunk, state)
                if text:
                    yield text
        finally:
            await stream.close()

    # -------------------------------------------------------------- errors

    def map_error(self, error: Exception) -> NetrunException | None:
        import openai

        if isinstance(error, openai.APITimeoutError):
            return timeout_error(self.provider)
        if isinstance(error, openai.APIStatusError):
            return error_for_status(
                self.provider,
                error.status_code,
                retry_after=parse_retry_after(error.response.headers),
                request_id=self._request_id(error.response.headers),
            )
        if isinstance(error, openai.APIConnectionError):
            return connection_error(self.provider)
        if isinstance(error, openai.APIError):
            # An error event inside a stream, or an answer the SDK could not parse.
            return BadGatewayError(
                f"The LLM provider {self.provider!r} sent an error.", {"provider": self.provider}
            )
        return map_transport_error(self.provider, error)
