"""A stream's accounting, written once: :class:`ChatStream` and :class:`AsyncChatStream` drive it.

:meth:`_StreamAccount.flow` reads the provider's deltas, hands out a :class:`StreamChunk`
for each and, when the stream ends however it ends (completed, cut short by the provider,
broken by an error, cancelled by the consumer), builds the :class:`LLMResponse` of what was
consumed and passes it to ``on_complete``. The two stream classes only drive that flow
(:mod:`netrun.llm.adapters._flow`). Framework-neutral: no Django import.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from netrun.errors import BadGatewayError, NetrunException
from netrun.llm.adapters._flow import (
    CANCEL,
    END,
    AsyncFlowIterator,
    Driver,
    Emit,
    Flow,
    FlowIterator,
    call,
    close,
    pull,
)
from netrun.llm.adapters.errors import LLMStreamInterruptedError
from netrun.llm.structured import ResponseSchema, apply_schema
from netrun.llm.tools import ToolCallBuffer
from netrun.llm.types import (
    CHARS_PER_TOKEN,
    FINISH_CANCELLED,
    FINISH_INTERRUPTED,
    ChatMessage,
    LLMResponse,
    StreamChunk,
    Usage,
    estimate_tokens,
)

if TYPE_CHECKING:
    from netrun.llm.adapters._adapter import BaseLLMAdapter

__all__ = ["AsyncChatStream", "ChatStream", "OnComplete", "StreamState"]

#: Called once with the response of a stream when it ends: completed, cut or abandoned.
OnComplete = Callable[[LLMResponse], object]


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
        schema: ResponseSchema | None = None,
    ) -> None:
        self.adapter = adapter
        self.state = StreamState(model=model)
        self.estimated_input = estimate_tokens(messages)
        self.on_complete = on_complete
        self.schema = schema
        self.parts: list[str] = []
        self.started = time.perf_counter()
        self.response: LLMResponse | None = None
        #: Set when the flow starts to wind up, before ``on_complete`` runs.
        self.ended = False

    # ------------------------------------------------------------------ the flow

    def flow(self, deltas: Any) -> Flow[None]:
        """Read ``deltas`` until they end, break or the consumer cancels; see the module doc.

        The first ``yield`` waits for the consumer's first ``next()`` or ``close()``."""
        command = yield Emit(None)
        while command is not CANCEL:
            try:
                delta = yield pull(deltas)
            except Exception as exc:
                self.ended = True
                error = yield from self._fail(self.adapter._map(exc))
                raise error from None
            if delta is CANCEL:  # closed after a BaseException left the pull pending
                break
            if delta is END:
                self.ended = True
                if self.state.finish_reason is None:
                    error = yield from self._fail(_cut_short(self.adapter.provider))
                    raise error from None
                yield from self._notify(self.completed())
                return
            command = yield Emit(self.chunk(delta))
        self.ended = True
        with suppress(Exception):  # the HTTP stream is gone either way; the bill is what matters
            yield close(deltas)
        yield from self._notify(self.cancelled())

    def _fail(self, cause: NetrunException) -> Flow[NetrunException]:
        error = self.interrupted(cause)
        if self.response is not None:
            yield from self._notify(self.response)
        return error

    def _notify(self, response: LLMResponse) -> Flow[None]:
        if self.on_complete is not None:
            yield call(self.on_complete, response)

    # ------------------------------------------------------------------ accounting

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
        response = LLMResponse(
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
        return apply_schema(self.schema, response, via_tool=self.adapter.schema_via_tool)

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


class _Stream(Driver):
    """What the two stream classes share: the account they keep and the flow they drive."""

    def __init__(self, account: _StreamAccount, deltas: Any) -> None:
        self._account = account
        flow = account.flow(deltas)
        next(flow)  # to the first yield: nothing is read before the consumer asks
        Driver.__init__(self, flow)

    def _ended(self) -> bool:
        return self._account.ended

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


class ChatStream(_Stream, FlowIterator):
    """A streamed answer: iterate for :class:`StreamChunk` deltas.

    Stop early with ``close()`` (or ``with adapter.stream(...) as s:``, or by dropping it):
    the HTTP stream is closed and :attr:`response` holds what was consumed, with the usage
    the provider reported or an estimate (``usage.estimated``). A stream that breaks after
    some text raises :class:`LLMStreamInterruptedError` whose ``response`` is the same.
    """

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> StreamChunk:
        chunk: StreamChunk = super().__next__()
        return chunk

    def close(self) -> None:
        """Stop reading; bill what was consumed (idempotent)."""
        super().close()

    def __del__(self) -> None:
        # A consumer that drops the stream (a client disconnect) must still be billed.
        account = getattr(self, "_account", None)
        if account is not None and not account.ended:
            with suppress(Exception):
                self.close()


class AsyncChatStream(_Stream, AsyncFlowIterator):
    """The async twin of :class:`ChatStream`: ``async for``, ``aclose()``, ``async with``.

    ``on_complete`` may be a coroutine function. Close an abandoned stream explicitly
    (``async with`` does): an async generator cannot be closed from a finaliser.
    """

    def __aiter__(self) -> AsyncChatStream:
        return self

    async def __anext__(self) -> StreamChunk:
        chunk: StreamChunk = await super().__anext__()
        return chunk

    async def aclose(self) -> None:
        """Stop reading; bill what was consumed (idempotent)."""
        await super().aclose()
