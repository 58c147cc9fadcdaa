"""``BaseLLMAdapter``: one provider, sync and async, whole answers and streams.

A provider module implements five hooks (``_complete``, ``_acomplete``, ``_stream_deltas``,
``_astream_deltas``, ``map_error``), each given the :class:`ProviderCall` to make; this base class gives every adapter the same public API,
timing, key=value logs and error mapping:

* ``chat(messages, model=..., max_tokens=...)`` / ``await achat(...)`` -> :class:`LLMResponse`
* ``stream(...)`` -> :class:`ChatStream` / ``astream(...)`` -> :class:`AsyncChatStream`, which
  yield :class:`StreamChunk` deltas and, when they end however they end, hold the
  :class:`LLMResponse` of what was consumed and pass it to ``on_complete``
* the seeds' ``execute(prompt, context)`` / ``await execute_async(prompt, context)``

Log lines carry the provider, model, message count and prompt length, token counts and
``duration_ms``; never the prompt, the answer or a key. Framework-neutral: no Django import.
"""

from __future__ import annotations

import importlib
import inspect
import math
import time
from abc import ABC, abstractmethod
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Mapping,
    Sequence,
)
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from netrun.core.blocks import AsyncClosing, Closing
from netrun.core.deps import is_available, require
from netrun.errors import BadGatewayError, NetrunException
from netrun.llm.adapters.errors import (
    LLMStreamInterruptedError,
    connection_error,
    error_for_status,
    map_transport_error,
    parse_retry_after,
    timeout_error,
)
from netrun.llm.structured import ResponseSchema, apply_schema, response_schema
from netrun.llm.tools import ToolCallBuffer, ToolSpec, normalize_tool_choice, normalize_tools
from netrun.llm.types import (
    CHARS_PER_TOKEN,
    FINISH_CANCELLED,
    FINISH_INTERRUPTED,
    ChatMessage,
    EmbeddingResponse,
    LLMResponse,
    StreamChunk,
    Usage,
    estimate_tokens,
    normalize_messages,
)
from netrun.logging import get_logger

if TYPE_CHECKING:
    from pydantic import SecretStr

__all__ = [
    "AsyncChatStream",
    "BaseLLMAdapter",
    "ChatStream",
    "HostedAdapter",
    "MessagesInput",
    "OnComplete",
    "ProviderCall",
    "SDKAdapter",
    "StreamState",
    "api_key_value",
    "messages_from_prompt",
]

logger = get_logger(__name__)

MessagesInput = str | Iterable[ChatMessage | Mapping[str, Any]]
#: Called once with the response of a stream when it ends: completed, cut or abandoned.
OnComplete = Callable[[LLMResponse], object]


@dataclass(frozen=True)
class ProviderCall:
    """One call for a provider hook to make: the messages, the model, its token cap, the
    tools the model may call and the provider options given to ``chat``/``stream``
    (``temperature``...)."""

    messages: Sequence[ChatMessage]
    model: str
    max_tokens: int
    options: Mapping[str, Any]
    tools: tuple[ToolSpec, ...] = ()
    #: ``"auto"``, ``"none"``, ``"required"`` or a tool's name; ``None``: the provider's default.
    tool_choice: str | None = None
    #: The JSON schema the answer must fit (``response_schema=``), else ``None``.
    response_schema: ResponseSchema | None = None


@dataclass
class StreamState:
    """What a provider's stream reports besides text, filled in while it is read."""

    model: str
    usage: Usage | None = None
    #: True once the provider's final usage arrived (not only the input part).
    usage_final: bool = False
    finish_reason: str | None = None
    request_id: str | None = None
    #: The tool calls streamed so far, assembled from their deltas.
    tool_calls: ToolCallBuffer = field(default_factory=ToolCallBuffer)


class _StreamAccount:
    """The text, chunks and usage of one stream, and the response built from them."""

    def __init__(
        self,
        adapter: BaseLLMAdapter,
        messages: Sequence[ChatMessage],
        model: str,
        on_complete: OnComplete | None,
    ) -> None:
        self.adapter = adapter
        self.state = StreamState(model=model)
        self.estimated_input = estimate_tokens(messages)
        self.on_complete = on_complete
        self.parts: list[str] = []
        self.started = time.perf_counter()
        self.response: LLMResponse | None = None
        self.schema: ResponseSchema | None = None

    def chunk(self, delta: str) -> StreamChunk:
        index = len(self.parts)
        self.parts.append(delta)
        return StreamChunk(delta, self.adapter.provider, self.state.model, index)

    def consumed_usage(self) -> Usage:
        """The provider's usage when it arrived, else an estimate of what was consumed."""
        state = self.state
        if state.usage is not None and state.usage_final:
            return state.usage
        text_tokens = math.ceil(sum(len(part) for part in self.parts) / CHARS_PER_TOKEN)
        # Each delta is at least one token, so the count of deltas is a floor.
        output = max(text_tokens, len(self.parts))
        if state.usage is not None:
            # Anthropic reports the input (and the output so far) when the stream starts.
            return replace(
                state.usage, output_tokens=max(state.usage.output_tokens, output), estimated=True
            )
        return Usage(input_tokens=self.estimated_input, output_tokens=output, estimated=True)

    def build(self, *, complete: bool, finish_reason: str | None) -> LLMResponse:
        response = self._build(complete=complete, finish_reason=finish_reason)
        return apply_schema(self.schema, response, via_tool=self.adapter.schema_via_tool)

    def _build(self, *, complete: bool, finish_reason: str | None) -> LLMResponse:
        return LLMResponse(
            text="".join(self.parts),
            provider=self.adapter.provider,
            model=self.state.model,
            usage=self.consumed_usage(),
            latency_ms=(time.perf_counter() - self.started) * 1000,
            finish_reason=finish_reason,
            request_id=self.state.request_id,
            complete=complete,
            tool_calls=self.state.tool_calls.calls(),
        )

    def interrupted(self, cause: NetrunException) -> NetrunException:
        """The error for a stream that broke: ``cause`` itself if nothing was delivered."""
        delivered = len(self.parts)
        if delivered == 0 and self.state.usage is None:
            self.adapter._log_error(cause, self.state.model, self.started, streamed=True)
            return cause
        self.response = self.build(complete=False, finish_reason=FINISH_INTERRUPTED)
        self.adapter._log_stream_end(self.response, "interrupted", cause=cause.error_code)
        if delivered == 0:
            # The provider billed the prompt but sent no text: the caller may still fall back.
            cause.details.setdefault("billed", True)
            return cause
        error = LLMStreamInterruptedError(
            details={
                "provider": self.adapter.provider,
                "chunks_received": delivered,
                "cause": cause.error_code,
            }
        )
        error.response = self.response
        return error

    def completed(self) -> LLMResponse:
        self.response = self.build(complete=True, finish_reason=self.state.finish_reason)
        self.adapter._log_stream_end(self.response, "ok")
        return self.response

    def cancelled(self) -> LLMResponse:
        self.response = self.build(complete=False, finish_reason=FINISH_CANCELLED)
        self.adapter._log_stream_end(self.response, "cancelled")
        return self.response


def _cut_short(provider: str) -> BadGatewayError:
    return BadGatewayError(
        f"The LLM provider {provider!r} ended the stream before finishing the answer.",
        {"provider": provider},
    )


_Response = TypeVar("_Response", bound=LLMResponse)
_Deltas = TypeVar("_Deltas", Generator[str, None, None], AsyncGenerator[str, None])


class _Stream(Generic[_Deltas]):
    """What the two stream twins share: the deltas they read and the account they keep."""

    def __init__(self, account: _StreamAccount, deltas: _Deltas) -> None:
        self._account = account
        self._deltas: _Deltas = deltas
        self._done = False

    @property
    def response(self) -> LLMResponse | None:
        """The response once the stream has ended, else ``None``."""
        return self._account.response

    @property
    def state(self) -> StreamState:
        return self._account.state

    @property
    def chunks_received(self) -> int:
        return len(self._account.parts)


class ChatStream(Closing, _Stream[Generator[str, None, None]]):
    """A streamed answer: iterate for :class:`StreamChunk` deltas.

    Stop early with ``close()`` (or ``with adapter.stream(...) as s:``, or by dropping it):
    the HTTP stream is closed and :attr:`response` holds what was consumed, with the usage
    the provider reported or an estimate (``usage.estimated``). A stream that breaks after
    some text raises :class:`LLMStreamInterruptedError` whose ``response`` is the same.
    """

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> StreamChunk:
        if self._done:
            raise StopIteration
        try:
            delta = next(self._deltas)
        except StopIteration:
            self._done = True
            if self._account.state.finish_reason is None:
                raise self._fail(_cut_short(self._account.adapter.provider)) from None
            self._notify(self._account.completed())
            raise
        except Exception as exc:
            self._done = True
            raise self._fail(self._account.adapter._map(exc)) from None
        return self._account.chunk(delta)

    def _fail(self, cause: NetrunException) -> NetrunException:
        error = self._account.interrupted(cause)
        if self._account.response is not None:
            self._notify(self._account.response)
        return error

    def _notify(self, response: LLMResponse) -> None:
        if self._account.on_complete is not None:
            self._account.on_complete(response)

    def close(self) -> None:
        """Stop reading; bill what was consumed (idempotent)."""
        if self._done:
            return
        self._done = True
        with suppress(Exception):
            self._deltas.close()
        self._notify(self._account.cancelled())

    def __del__(self) -> None:
        # A consumer that drops the stream (a client disconnect) must still be billed.
        if not getattr(self, "_done", True):
            with suppress(Exception):
                self.close()


class AsyncChatStream(AsyncClosing, _Stream[AsyncGenerator[str, None]]):
    """The async twin of :class:`ChatStream`: ``async for``, ``aclose()``, ``async with``.

    ``on_complete`` may be a coroutine function. Close an abandoned stream explicitly
    (``async with`` does): an async generator cannot be closed from a finaliser.
    """

    def __aiter__(self) -> AsyncChatStream:
        return self

    async def __anext__(self) -> StreamChunk:
        if self._done:
            raise StopAsyncIteration
        try:
            delta = await self._deltas.__anext__()
        except StopAsyncIteration:
            self._done = True
            if self._account.state.finish_reason is None:
                raise await self._fail(_cut_short(self._account.adapter.provider)) from None
            await self._notify(self._account.completed())
            raise
        except Exception as exc:
            self._done = True
            raise await self._fail(self._account.adapter._map(exc)) from None
        return self._account.chunk(delta)

    async def _fail(self, cause: NetrunException) -> NetrunException:
        error = self._account.interrupted(cause)
        if self._account.response is not None:
            await self._notify(self._account.response)
        return error

    async def _notify(self, response: LLMResponse) -> None:
        if self._account.on_complete is not None:
            result = self._account.on_complete(response)
            if inspect.isawaitable(result):
                await result

    async def aclose(self) -> None:
        """Stop reading; bill what was consumed (idempotent)."""
        if self._done:
            return
        self._done = True
        with suppress(Exception):
            await self._deltas.aclose()
        await self._notify(self._account.cancelled())


class _Chats(Protocol):
    def chat(self, messages: MessagesInput, **options: Any) -> LLMResponse: ...

    async def achat(self, messages: MessagesInput, **options: Any) -> LLMResponse: ...


class _ExecuteAPI:
    """The seeds' ``execute(prompt, context)`` over ``chat``, for adapters and the client."""

    def execute(self: _Chats, prompt: str, context: Mapping[str, Any] | None = None) -> LLMResponse:
        """The seeds' API: ``context`` may hold ``system``, ``history`` (chat messages) and any
        keyword of ``chat`` (``model``, ``max_tokens``, provider options such as
        ``temperature``; the client's ``provider`` and ``reason``)."""
        messages, kwargs = messages_from_prompt(prompt, context)
        return self.chat(messages, **kwargs)

    async def execute_async(
        self: _Chats, prompt: str, context: Mapping[str, Any] | None = None
    ) -> LLMResponse:
        """The async twin of :meth:`execute`."""
        messages, kwargs = messages_from_prompt(prompt, context)
        return await self.achat(messages, **kwargs)


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
    def _stream_deltas(self, call: ProviderCall, state: StreamState) -> Generator[str, None, None]:
        """Yield text deltas (never empty ones) and fill ``state``; close the HTTP stream
        in a ``finally``. Set ``state.finish_reason`` only when the provider said it was done.
        """

    @abstractmethod
    def _astream_deltas(
        self, call: ProviderCall, state: StreamState
    ) -> AsyncGenerator[str, None]: ...

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

    @property
    def client(self) -> Any:
        """The sync client, opened on first use."""
        if self._sync is None:
            sync_class, _ = self._installed_client_classes()
            self._sync = sync_class(**self._client_kwargs())
        return self._sync

    @property
    def async_client(self) -> Any:
        """The async client, opened on first use (keep one adapter per event loop)."""
        if self._async is None:
            _, async_class = self._installed_client_classes()
            self._async = async_class(**self._client_kwargs())
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
        started = self._log_request(call, streamed=False)
        try:
            response = self._complete(call)
        except Exception as exc:
            raise self._failed(exc, call.model, started) from None
        return self._succeeded(self._structured(call, response), started)

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
        started = self._log_request(call, streamed=False)
        try:
            response = await self._acomplete(call)
        except Exception as exc:
            raise self._failed(exc, call.model, started) from None
        return self._succeeded(self._structured(call, response), started)

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
        started = self._log_request(call, streamed=False)
        try:
            response = self._embed(call.messages, call.model)
        except Exception as exc:
            raise self._failed(exc, call.model, started) from None
        return self._succeeded(response, started)

    async def aembed(self, texts: Sequence[str], *, model: str | None = None) -> EmbeddingResponse:
        """The async twin of :meth:`embed`."""
        call = self._prepare_embedding(texts, model)
        started = self._log_request(call, streamed=False)
        try:
            response = await self._aembed(call.messages, call.model)
        except Exception as exc:
            raise self._failed(exc, call.model, started) from None
        return self._succeeded(response, started)

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
        account = _StreamAccount(self, call.messages, call.model, on_complete)
        account.schema = call.response_schema
        return account

    #: Whether the provider answers a schema through a tool call (Anthropic) rather than text.
    schema_via_tool: ClassVar[bool] = False

    def _structured(self, call: ProviderCall, response: LLMResponse) -> LLMResponse:
        return apply_schema(call.response_schema, response, via_tool=self.schema_via_tool)

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


class HostedAdapter(BaseLLMAdapter):
    """A provider reached over the network with an API key: the key (never in ``repr``), the
    base URL (a proxy, a stub; ``None``: the SDK's) and extra headers, kept for the lazy
    clients the subclass builds."""

    #: The model a call uses when none is named.
    default_model: ClassVar[str] = ""

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

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self._api_key,
            "timeout": self.timeout,
            "max_retries": 0,
            "default_headers": self.default_headers or None,
        }

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

    # -------------------------------------------------------------- the hooks

    def _complete(self, call: ProviderCall) -> LLMResponse:
        answer = self._create(self.client, self._request(call, stream=False))
        return self._response(answer, call.model)

    async def _acomplete(self, call: ProviderCall) -> LLMResponse:
        answer = await self._create(self.async_client, self._request(call, stream=False))
        return self._response(answer, call.model)

    def _stream_deltas(self, call: ProviderCall, state: StreamState) -> Generator[str, None, None]:
        stream = self._create(self.client, self._request(call, stream=True))
        try:
            state.request_id = self._request_id(stream.response.headers)
            for event in stream:
                text = self._read_event(event, state)
                if text:
                    yield text
        finally:
            stream.close()

    async def _astream_deltas(
        self, call: ProviderCall, state: StreamState
    ) -> AsyncGenerator[str, None]:
        stream = await self._create(self.async_client, self._request(call, stream=True))
        try:
            state.request_id = self._request_id(stream.response.headers)
            async for event in stream:
                text = self._read_event(event, state)
                if text:
                    yield text
        finally:
            await stream.close()

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


def messages_from_prompt(
    prompt: str, context: Mapping[str, Any] | None
) -> tuple[list[ChatMessage], dict[str, Any]]:
    """The seeds' ``(prompt, context)`` as chat messages plus the remaining keyword options."""
    options = dict(context or {})
    messages: list[ChatMessage] = []
    system = options.pop("system", None)
    if system:
        messages.append(ChatMessage("system", str(system)))
    history = options.pop("history", None)
    if history:
        messages.extend(normalize_messages(history))
    messages.append(ChatMessage("user", prompt))
    return messages, options
