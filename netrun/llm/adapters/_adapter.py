"""``BaseLLMAdapter``: one provider, sync and async, whole answers and streams.

A provider module implements five hooks (``_complete``, ``_acomplete``, ``_stream_deltas``,
``_astream_deltas``, ``map_error``), each given the :class:`ProviderCall` to make, and
``from_config``; this base class gives every adapter the same public API, the lazy sync and
async clients, timing, key=value logs and error mapping:

* ``chat(messages, model=..., max_tokens=...)`` / ``await achat(...)`` -> :class:`LLMResponse`
* ``stream(...)`` -> :class:`ChatStream` / ``astream(...)`` -> :class:`AsyncChatStream`, which
  yield :class:`StreamChunk` deltas and, when they end however they end, hold the
  :class:`LLMResponse` of what was consumed and pass it to ``on_complete``
* the seeds' ``execute(prompt, context)`` / ``await execute_async(prompt, context)``

A whole answer is one flow (:mod:`netrun.llm.adapters._flow`) run from ``chat`` and from
``achat``. Log lines carry the provider, model, message count and prompt length, token
counts and ``duration_ms``; never the prompt, the answer or a key. Framework-neutral: no
Django import.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from netrun.core.deps import is_available, require
from netrun.errors import NetrunException
from netrun.llm.adapters._call import MessagesInput, ProviderCall, _ExecuteAPI
from netrun.llm.adapters._flow import Flow, arun, run, wait
from netrun.llm.adapters._stream import (
    AsyncChatStream,
    ChatStream,
    OnComplete,
    StreamState,
    _StreamAccount,
)
from netrun.llm.structured import apply_schema, response_schema
from netrun.llm.tools import normalize_tool_choice, normalize_tools
from netrun.llm.types import (
    ChatMessage,
    EmbeddingResponse,
    LLMResponse,
    normalize_messages,
)
from netrun.logging import get_logger

if TYPE_CHECKING:
    from netrun.llm.conf import LLMConfig

__all__ = ["BaseLLMAdapter"]

# The logger keeps the name it had before the split: logging configuration names it.
logger = get_logger("netrun.llm.adapters.base")

_Response = TypeVar("_Response", bound=LLMResponse)


class BaseLLMAdapter(_ExecuteAPI, ABC):
    """One LLM provider. Subclasses set ``provider`` and implement the five hooks.

    Adapters are cheap to build and hold their SDK clients lazily (one sync, one async).
    Keep an adapter per event loop for async use: an async HTTP client must not cross loops.
    """

    #: The provider's name in the chain, in responses, logs and errors.
    provider: ClassVar[str] = "base"
    #: Extra key=value fields on every log line of this adapter.
    log_fields: ClassVar[Mapping[str, object]] = {}
    #: The optional package the adapter talks through (``None``: nothing to install) and the
    #: ``netrun[extra]`` that brings it; a chain skips the adapter when it is missing.
    sdk_module: ClassVar[str | None] = None
    sdk_extra: ClassVar[str | None] = None
    #: The model ``embed`` uses when none is named; ``None``: the provider has no embeddings
    #: API (the chain skips it for ``embed``).
    embedding_model: str | None = None

    @classmethod
    def missing_sdk(cls) -> str | None:
        """The name of the package this adapter needs and cannot import, else ``None``."""
        if cls.sdk_module is None or is_available(cls.sdk_module):
            return None
        return cls.sdk_module

    @classmethod
    def from_config(cls, name: str, config: LLMConfig) -> BaseLLMAdapter:
        """The adapter chain entry ``name`` stands for, built from ``config``
        (:class:`~netrun.llm.conf.LLMConfig`); raises
        :class:`~netrun.errors.ConfigurationError` naming a setting the provider cannot work
        without. What :func:`~netrun.llm.adapters.registry.build_adapter` calls."""
        raise NotImplementedError(f"{cls.__name__} does not build itself from settings")

    def __init__(self, *, model: str, max_tokens: int = 1024, timeout: float = 60.0) -> None:
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        self.model = model
        self.max_tokens = max_tokens
        self.timeout = timeout

    def __repr__(self) -> str:
        # Never the key: adapters end up in error reports and debug output.
        return f"<{type(self).__name__} provider={self.provider!r} model={self.model!r}>"

    # ------------------------------------------------------------------ provider hooks

    @abstractmethod
    def _complete(self, call: ProviderCall) -> LLMResponse:
        """One whole answer (``latency_ms`` is filled in by the caller)."""

    @abstractmethod
    async def _acomplete(self, call: ProviderCall) -> LLMResponse: ...

    @abstractmethod
    def _stream_deltas(self, call: ProviderCall, state: StreamState) -> Iterator[str]:
        """Text deltas (never empty ones), filling ``state``: a generator, or a
        :class:`~netrun.llm.adapters._flow.FlowIterator`; ``close()`` closes the HTTP stream.
        Set ``state.finish_reason`` only when the provider said it was done.
        """

    @abstractmethod
    def _astream_deltas(self, call: ProviderCall, state: StreamState) -> AsyncIterator[str]: ...

    @abstractmethod
    def map_error(self, error: Exception) -> NetrunException | None:
        """The netrun error for a provider/SDK/HTTP exception, ``None`` for anything else."""

    #: The sync and async clients, opened on first use by adapters that talk HTTP.
    _sync: Any = None
    _async: Any = None

    def _client_classes(self) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """The sync and async client classes of ``sdk_module``; adapters that talk to a
        server implement it (importing the SDK there, on first use)."""
        raise NotImplementedError(f"{type(self).__name__} has no HTTP client")

    def _client_kwargs(self) -> dict[str, Any]:
        """The arguments both clients are built with."""
        return {}

    def _installed_client_classes(self) -> tuple[Callable[..., Any], Callable[..., Any]]:
        if self.sdk_module is not None:
            # The error says which ``pip install`` fixes it.
            require(self.sdk_module, feature=type(self).__name__, extra=self.sdk_extra)
        return self._client_classes()

    def _open_client(self, *, asynchronous: bool) -> Any:
        """A new sync or async client (for an adapter whose two differ in more than class)."""
        sync_class, async_class = self._installed_client_classes()
        return (async_class if asynchronous else sync_class)(**self._client_kwargs())

    @property
    def client(self) -> Any:
        """The sync client, opened on first use."""
        if self._sync is None:
            self._sync = self._open_client(asynchronous=False)
        return self._sync

    @property
    def async_client(self) -> Any:
        """The async client, opened on first use (keep one adapter per event loop)."""
        if self._async is None:
            self._async = self._open_client(asynchronous=True)
        return self._async

    def close(self) -> None:
        """Close the sync HTTP client, if one was opened."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        """Close the async HTTP client, if one was opened (SDKs ``close()``, httpx ``aclose()``)."""
        if self._async is not None:
            closing = getattr(self._async, "aclose", None) or self._async.close
            await closing()
            self._async = None

    # ------------------------------------------------------------------ public API

    def chat(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        **options: Any,
    ) -> LLMResponse:
        """Send ``messages`` and wait for the whole answer."""
        call = self._prepare(messages, model, max_tokens, options)
        return run(self._answer(call, self._complete))

    async def achat(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        **options: Any,
    ) -> LLMResponse:
        """The async twin of :meth:`chat` (a true async HTTP client, no thread)."""
        call = self._prepare(messages, model, max_tokens, options)
        return await arun(self._answer(call, self._acomplete))

    def stream(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        on_complete: OnComplete | None = None,
        **options: Any,
    ) -> ChatStream:
        """Stream the answer; the request is sent when the first chunk is asked for."""
        call = self._prepare(messages, model, max_tokens, options)
        account = self._open_stream(call, on_complete)
        return ChatStream(account, self._stream_deltas(call, account.state))

    def astream(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        on_complete: OnComplete | Callable[[LLMResponse], Awaitable[object]] | None = None,
        **options: Any,
    ) -> AsyncChatStream:
        """The async twin of :meth:`stream`."""
        call = self._prepare(messages, model, max_tokens, options)
        account = self._open_stream(call, on_complete)
        return AsyncChatStream(account, self._astream_deltas(call, account.state))

    def embed(self, texts: Sequence[str], *, model: str | None = None) -> EmbeddingResponse:
        """One vector per text, in order, from the provider's embeddings API."""
        call = self._prepare_embedding(texts, model)
        return run(self._answer(call, lambda call: self._embed(call.messages, call.model)))

    async def aembed(self, texts: Sequence[str], *, model: str | None = None) -> EmbeddingResponse:
        """The async twin of :meth:`embed`."""
        call = self._prepare_embedding(texts, model)
        return await arun(self._answer(call, lambda call: self._aembed(call.messages, call.model)))

    def _embed(self, texts: Sequence[ChatMessage], model: str) -> EmbeddingResponse:
        """The embeddings of ``texts`` (their ``content``), for providers that have an API."""
        raise NotImplementedError

    async def _aembed(self, texts: Sequence[ChatMessage], model: str) -> EmbeddingResponse:
        raise NotImplementedError

    def _prepare_embedding(self, texts: Sequence[str], model: str | None) -> ProviderCall:
        chosen = model or self.embedding_model
        if chosen is None:
            raise ValueError(f"the {self.provider!r} provider has no embeddings API")
        if isinstance(texts, str) or not texts:
            raise ValueError("texts must be a non-empty list of strings")
        if not all(isinstance(text, str) for text in texts):
            raise ValueError("every text to embed must be a string")
        messages = [ChatMessage("user", text) for text in texts]
        return ProviderCall(messages, chosen, 1, {})

    # ------------------------------------------------------------------ shared machinery

    def _answer(
        self, call: ProviderCall, answer: Callable[[ProviderCall], _Response | Awaitable[_Response]]
    ) -> Flow[_Response]:
        """One whole answer, logged and timed: ``answer(call)`` asks the provider (a hook,
        sync or async); its errors become netrun errors."""
        started = self._log_request(call, streamed=False)
        try:
            response: _Response = yield wait(answer(call))
        except Exception as exc:
            raise self._failed(exc, call.model, started) from None
        return self._succeeded(self._structured(call, response), started)

    def _prepare(
        self,
        messages: MessagesInput,
        model: str | None,
        max_tokens: int | None,
        options: Mapping[str, Any],
    ) -> ProviderCall:
        if max_tokens is not None and max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        rest = dict(options)
        tools = normalize_tools(rest.pop("tools", None))
        return ProviderCall(
            normalize_messages(messages),
            model or self.model,
            max_tokens or self.max_tokens,
            rest,
            tools=tools,
            tool_choice=normalize_tool_choice(rest.pop("tool_choice", None), tools),
            response_schema=response_schema(rest.pop("response_schema", None)),
        )

    def _open_stream(self, call: ProviderCall, on_complete: OnComplete | None) -> _StreamAccount:
        self._log_request(call, streamed=True)
        return _StreamAccount(self, call.messages, call.model, on_complete, call.response_schema)

    #: Whether the provider answers a schema through a tool call (Anthropic) rather than text.
    schema_via_tool: ClassVar[bool] = False

    def _structured(self, call: ProviderCall, response: _Response) -> _Response:
        # A copy of the same class (dataclasses.replace); an embedding has no schema.
        shaped = apply_schema(call.response_schema, response, via_tool=self.schema_via_tool)
        return cast("_Response", shaped)

    def _map(self, error: Exception) -> NetrunException:
        if isinstance(error, NetrunException):
            return error
        mapped = self.map_error(error)
        if mapped is None:
            # Not a provider failure (a bug, a bad argument): let it surface as it is.
            raise error
        return mapped

    def _failed(self, error: Exception, model: str, started: float) -> NetrunException:
        mapped = self._map(error)
        self._log_error(mapped, model, started, streamed=False)
        return mapped

    def _succeeded(self, response: _Response, started: float) -> _Response:
        response = replace(response, latency_ms=(time.perf_counter() - started) * 1000)
        logger.info(
            "llm_response",
            provider=self.provider,
            model=response.model,
            result="ok",
            input_tokens=response.usage.input_tokens,
            cache_read_tokens=response.usage.cache_read_tokens,
            cache_write_tokens=response.usage.cache_write_tokens,
            output_tokens=response.usage.output_tokens,
            finish_reason=response.finish_reason,
            request_id=response.request_id,
            duration_ms=round(response.latency_ms, 2),
            **self.log_fields,
        )
        return response

    def _log_request(self, call: ProviderCall, *, streamed: bool) -> float:
        logger.info(
            "llm_request",
            provider=self.provider,
            model=call.model,
            streamed=streamed,
            message_count=len(call.messages),
            prompt_length=sum(len(message.content) for message in call.messages),
            **self.log_fields,
        )
        return time.perf_counter()

    def _log_error(
        self, error: NetrunException, model: str, started: float, *, streamed: bool
    ) -> None:
        logger.warning(
            "llm_error",
            provider=self.provider,
            model=model,
            streamed=streamed,
            result="error",
            error_code=error.error_code,
            provider_status=error.details.get("provider_status"),
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            **self.log_fields,
        )

    def _log_stream_end(self, response: LLMResponse, result: str, **extra: object) -> None:
        logger.info(
            "llm_stream_end",
            provider=self.provider,
            model=response.model,
            result=result,
            input_tokens=response.usage.input_tokens,
            output_tokens=response.usage.output_tokens,
            usage_estimated=response.usage.estimated,
            finish_reason=response.finish_reason,
            request_id=response.request_id,
            duration_ms=round(response.latency_ms, 2),
            **extra,
            **self.log_fields,
        )
