"""Adapters that talk to a hosted provider: :class:`HostedAdapter` (an API key, a base URL,
extra headers, and hooks each written once as a flow) and :class:`SDKAdapter` (over the
Stainless-generated ``openai`` and ``anthropic`` SDKs). Framework-neutral: no Django import.
"""

from __future__ import annotations

import importlib
from abc import abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from netrun.errors import BadGatewayError, NetrunException
from netrun.llm.adapters._adapter import BaseLLMAdapter
from netrun.llm.adapters._call import ProviderCall, config_limits, need_setting
from netrun.llm.adapters._flow import (
    AsyncFlowIterator,
    Flow,
    FlowIterator,
    arun,
    emit_texts,
    run,
    wait,
)
from netrun.llm.adapters._stream import StreamState
from netrun.llm.adapters.errors import (
    connection_error,
    error_for_status,
    map_transport_error,
    parse_retry_after,
    timeout_error,
)
from netrun.llm.types import ChatMessage, EmbeddingResponse, LLMResponse

if TYPE_CHECKING:
    from pydantic import SecretStr
    from typing_extensions import Required

    from netrun.llm.conf import LLMConfig

__all__ = ["HostedAdapter", "HostedOptions", "KeyOptions", "SDKAdapter", "api_key_value"]


class KeyOptions(TypedDict, total=False):
    """The keyword arguments of :class:`HostedAdapter` a subclass passes on untouched."""

    api_key: Required[str | SecretStr | None]
    max_tokens: int
    timeout: float
    default_headers: Mapping[str, str] | None


class HostedOptions(KeyOptions, total=False):
    """:class:`KeyOptions` and the base URL."""

    base_url: str | None


class HostedAdapter(BaseLLMAdapter):
    """A provider reached over the network with an API key: the key (never in ``repr``), the
    base URL (a proxy, a stub; ``None``: the SDK's) and extra headers, kept for the lazy
    clients the subclass builds.

    A subclass writes each request once, as a flow (:mod:`netrun.llm.adapters._flow`):
    ``_reply`` (a whole answer), ``_deltas`` (a stream) and ``_embedding``; the sync and the
    async hooks here drive it. ``from_config`` reads ``_settings`` and names ``key_setting``
    when the key is missing.
    """

    #: The model a call uses when none is named.
    default_model: ClassVar[str] = ""
    #: The setting ``from_config`` names when the API key is missing.
    key_setting: ClassVar[str] = ""

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None,
        model: str | None = None,
        base_url: str | None = None,
        max_tokens: int = 1024,
        timeout: float = 60.0,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(model=model or self.default_model, max_tokens=max_tokens, timeout=timeout)
        self._api_key = api_key_value(api_key)
        self.base_url = base_url
        self.default_headers = dict(default_headers or {})

    @classmethod
    def from_config(cls, name: str, config: LLMConfig) -> BaseLLMAdapter:
        api_key, base_url, model = cls._settings(config)
        need_setting(api_key, cls.key_setting, name)
        return cls(api_key=api_key, base_url=base_url, model=model, **config_limits(config))

    @classmethod
    def _settings(cls, config: LLMConfig) -> tuple[SecretStr | None, str | None, str]:
        """This provider's API key, base URL and model in ``config``."""
        raise NotImplementedError(f"{cls.__name__} does not build itself from settings")

    # -------------------------------------------------------------- the hooks, as flows

    def _complete(self, call: ProviderCall) -> LLMResponse:
        return run(self._reply(call, asynchronous=False))

    async def _acomplete(self, call: ProviderCall) -> LLMResponse:
        return await arun(self._reply(call, asynchronous=True))

    def _stream_deltas(self, call: ProviderCall, state: StreamState) -> Iterator[str]:
        return FlowIterator(self._deltas(call, state, asynchronous=False))

    def _astream_deltas(self, call: ProviderCall, state: StreamState) -> AsyncIterator[str]:
        return AsyncFlowIterator(self._deltas(call, state, asynchronous=True))

    def _embed(self, texts: Sequence[ChatMessage], model: str) -> EmbeddingResponse:
        return run(self._embedding(texts, model, asynchronous=False))

    async def _aembed(self, texts: Sequence[ChatMessage], model: str) -> EmbeddingResponse:
        return await arun(self._embedding(texts, model, asynchronous=True))

    # Not abstract: a subclass written before 2.1 implements the five hooks themselves.

    def _reply(self, call: ProviderCall, *, asynchronous: bool) -> Flow[LLMResponse]:
        """A whole answer: ``yield wait(<client call>)`` then read what it gave."""
        raise NotImplementedError

    def _deltas(self, call: ProviderCall, state: StreamState, *, asynchronous: bool) -> Flow[None]:
        """A stream: open it with ``yield wait(<client call>)``, then
        ``yield from emit_texts(...)`` its events, filling ``state``."""
        raise NotImplementedError

    def _embedding(
        self, texts: Sequence[ChatMessage], model: str, *, asynchronous: bool
    ) -> Flow[EmbeddingResponse]:
        """The embeddings of ``texts``, for a provider that has an embeddings API."""
        raise NotImplementedError

    def _client_for(self, asynchronous: bool) -> Any:
        """The client a flow talks through: the only thing it picks by the driver's kind."""
        return self.async_client if asynchronous else self.client


class SDKAdapter(HostedAdapter):
    """An adapter over a provider's official SDK (``openai``, ``anthropic``).

    Both SDKs are generated alike (Stainless): one ``create(**request)`` for whole answers and
    streams, the same exception classes, the request id in a response header. So the hooks
    live here, and a provider module says only how to build a request (``_request``), which
    endpoint takes it (``_create``), and how to read an answer (``_response``) and a stream
    event (``_read_event``). Built with an API key and extra headers; the SDK's own retries
    are off (``max_retries=0``): :class:`~netrun.llm.client.LLMClient` retries, each attempt
    policy-checked, recorded and honouring ``Retry-After``.
    """

    #: Response headers that carry the provider's request id, first found wins.
    request_id_headers: ClassVar[tuple[str, ...]] = ("x-request-id",)
    #: The names of the sync and async client classes in ``sdk_module``.
    client_class_names: ClassVar[tuple[str, str]] = ("", "")

    def _client_classes(self) -> tuple[Any, Any]:
        assert self.sdk_module is not None
        sdk = importlib.import_module(self.sdk_module)
        sync_name, async_name = self.client_class_names
        return getattr(sdk, sync_name), getattr(sdk, async_name)

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self._api_key,
            "timeout": self.timeout,
            "max_retries": 0,
            "default_headers": self.default_headers or None,
            **self._client_options(),
        }

    def _client_options(self) -> dict[str, Any]:
        """This provider's own arguments of its clients (besides the key, the timeout, the
        headers and the retries)."""
        return {"base_url": self.base_url}

    # -------------------------------------------------------------- provider specifics

    @abstractmethod
    def _request(self, call: ProviderCall, *, stream: bool) -> dict[str, Any]:
        """The keyword arguments of ``create``."""

    @abstractmethod
    def _create(self, client: Any, request: dict[str, Any]) -> Any:
        """Call the endpoint on ``client`` (sync or async: the async one returns an awaitable)."""

    @abstractmethod
    def _response(self, answer: Any, model: str) -> LLMResponse:
        """The :class:`LLMResponse` of a whole answer."""

    @abstractmethod
    def _read_event(self, event: Any, state: StreamState) -> str:
        """Fill ``state`` from one stream event; the text it adds (``""`` for none)."""

    def _error_status(self, error: Any) -> int:
        """The HTTP status an ``APIStatusError`` stands for."""
        return int(error.status_code)

    def _request_id(self, headers: Mapping[str, str]) -> str | None:
        for name in self.request_id_headers:
            value = headers.get(name)
            if value:
                return value
        return None

    # -------------------------------------------------------------- the flows

    def _reply(self, call: ProviderCall, *, asynchronous: bool) -> Flow[LLMResponse]:
        client = self._client_for(asynchronous)
        answer = yield wait(self._create(client, self._request(call, stream=False)))
        return self._response(answer, call.model)

    def _deltas(self, call: ProviderCall, state: StreamState, *, asynchronous: bool) -> Flow[None]:
        client = self._client_for(asynchronous)
        stream = yield wait(self._create(client, self._request(call, stream=True)))
        state.request_id = self._request_id(stream.response.headers)
        yield from emit_texts(stream, partial(self._read_event, state=state))

    def map_error(self, error: Exception) -> NetrunException | None:
        assert self.sdk_module is not None
        sdk = importlib.import_module(self.sdk_module)
        if isinstance(error, sdk.APITimeoutError):
            return timeout_error(self.provider)
        if isinstance(error, sdk.APIStatusError):
            return error_for_status(
                self.provider,
                self._error_status(error),
                retry_after=parse_retry_after(error.response.headers),
                request_id=self._request_id(error.response.headers),
            )
        if isinstance(error, sdk.APIConnectionError):
            return connection_error(self.provider)
        if isinstance(error, sdk.APIError):
            # An error event inside a stream, or an answer the SDK could not parse.
            return BadGatewayError(
                f"The LLM provider {self.provider!r} sent an error.", {"provider": self.provider}
            )
        return map_transport_error(self.provider, error)


def api_key_value(value: str | SecretStr | None) -> str | None:
    """The plain text of an API key given as text or as a settings ``SecretStr``."""
    if value is None or isinstance(value, str):
        return value
    return value.get_secret_value()
