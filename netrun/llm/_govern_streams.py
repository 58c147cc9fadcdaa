"""The streams of governed SDK clients: settled from their final usage, or at the hold.

:class:`StreamWatch` holds the decisions (which event carries the usage, what was consumed,
which chunk the caller must not see); :class:`GovernedStream` and
:class:`AsyncGovernedStream` are the two thin drivers around it, and :class:`StreamManager`
governs the SDKs' stream helpers (``messages.stream()``, ``chat.completions.stream()``), sync
and async.

A stream that ends before the provider's usage arrives (the caller closed it, broke out of
its loop, or the connection dropped) is settled at the hold, the worst case: the provider
bills what it generated, which can be more than was read, and its count never came. The
telemetry record then carries the locally counted estimate, marked incomplete.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Generator
from typing import TYPE_CHECKING, Any

from netrun.llm.types import LLMResponse, Usage, UsageShapeError, usage_from

if TYPE_CHECKING:
    from netrun.llm._govern_calls import _Call

__all__ = ["AsyncGovernedStream", "GovernedStream", "StreamManager", "StreamWatch"]

_RESPONSE_ENDS = frozenset({"response.completed", "response.incomplete", "response.failed"})
_ANTHROPIC_INPUT = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def _anthropic_usage(start: Any, delta: Any) -> dict[str, Any]:
    """A stream's usage: ``message_delta`` counts, falling back to ``message_start``'s input."""
    usage = {
        key: value if (value := getattr(delta, key, None)) is not None else getattr(start, key, 0)
        for key in _ANTHROPIC_INPUT
    }
    usage["output_tokens"] = getattr(delta, "output_tokens", 0)
    return usage


class StreamWatch:
    """What a governed stream has seen: the provider's usage, the model, the output read."""

    def __init__(self, call: _Call, *, hide_usage: bool = False) -> None:
        self.call = call
        self.hide_usage = hide_usage
        self.usage: Any = None
        self.model: str | None = None
        self.consumed = 0
        self._start_usage: Any = None

    def see(self, item: Any) -> bool:
        """Note ``item``; whether the caller sees it (the usage chunk it did not ask for not)."""
        kind = self.call.kind
        if kind == "chat":
            self.model = getattr(item, "model", None) or self.model
            choices = getattr(item, "choices", None) or []
            for choice in choices:
                delta = getattr(choice, "delta", None)
                self.consumed += len(str(getattr(delta, "content", None) or "").encode())
            usage = getattr(item, "usage", None)
            if usage is not None:
                self.usage = usage
                return bool(choices) or not self.hide_usage
            return True
        kind_of = getattr(item, "type", "")
        if kind == "responses":
            if kind_of in _RESPONSE_ENDS:
                response = getattr(item, "response", None)
                self.usage = getattr(response, "usage", None)
                self.model = getattr(response, "model", None)
            elif kind_of == "response.output_text.delta":
                self.consumed += len(str(getattr(item, "delta", "")).encode())
            return True
        if kind_of == "message_start":
            message = getattr(item, "message", None)
            self._start_usage = getattr(message, "usage", None)
            self.model = getattr(message, "model", None)
        elif kind_of == "message_delta":
            self.usage = _anthropic_usage(self._start_usage, getattr(item, "usage", None))
        elif kind_of == "content_block_delta":
            delta = getattr(item, "delta", None)
            text = getattr(delta, "text", None) or getattr(delta, "partial_json", None) or ""
            self.consumed += len(str(text).encode())
        return True

    def outcome(self) -> tuple[Usage, LLMResponse]:
        """The usage to settle and the record: exact once the provider's usage came, else
        an estimate the reservation charges at the hold."""
        if self.usage is not None:
            try:
                usage = usage_from(self.usage)
            except UsageShapeError:
                pass
            else:
                return usage, self.call.response(usage, self.model, complete=True)
        usage = Usage(input_tokens=self.call.prompt, output_tokens=self.consumed, estimated=True)
        return usage, self.call.response(usage, self.model, complete=False)


class GovernedStream:
    """The SDK's stream (``Stream[ChatCompletionChunk]``, Responses or Anthropic events),
    settled when it ends or is closed; every other attribute is the SDK stream's."""

    def __init__(self, stream: Any, watch: StreamWatch) -> None:
        self._stream = stream
        self._watch = watch
        self._ended = False
        self._items = self._generate()

    def _generate(self) -> Generator[Any, None, None]:
        try:
            for item in self._stream:
                if self._watch.see(item):
                    yield item
        finally:
            self._end()

    def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        try:
            self._stream.close()  # a consumer that stopped early frees the connection
        finally:
            self._watch.call.settled(*self._watch.outcome(), None)

    def __iter__(self) -> GovernedStream:
        return self

    def __next__(self) -> Any:
        return next(self._items)

    def close(self) -> None:
        """Stop reading: the SDK stream is closed and the call settled."""
        self._items.close()
        self._end()  # a generator never started runs no finally

    def __enter__(self) -> GovernedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __del__(self) -> None:
        if not getattr(self, "_ended", True):
            self.close()


class AsyncGovernedStream:
    """The async twin of :class:`GovernedStream`: ``async for``, ``close()``, ``async with``."""

    def __init__(self, stream: Any, watch: StreamWatch) -> None:
        self._stream = stream
        self._watch = watch
        self._ended = False
        self._items = self._generate()

    async def _generate(self) -> AsyncGenerator[Any, None]:
        try:
            async for item in self._stream:
                if self._watch.see(item):
                    yield item
        finally:
            await self._end()

    async def _end(self) -> None:
        if self._ended:
            return
        self._ended = True
        try:
            await self._stream.close()
        finally:
            await self._watch.call.asettled(*self._watch.outcome(), None)

    def __aiter__(self) -> AsyncGovernedStream:
        return self

    async def __anext__(self) -> Any:
        return await self._items.__anext__()

    async def close(self) -> None:
        await self._items.aclose()
        await self._end()

    async def __aenter__(self) -> AsyncGovernedStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __del__(self) -> None:
        # Dropped unread: no loop to close it on, but its cost must not be lost with it.
        if not getattr(self, "_ended", True):
            self._ended = True
            self._watch.call.settled(*self._watch.outcome(), None)


class StreamManager:
    """A stream helper governed (Anthropic's ``messages.stream(...)``, OpenAI's
    ``chat.completions.stream(...)``): reserved on entry, before the request; settled on exit
    from the stream's snapshot once finished, else at the hold."""

    def __init__(self, call: _Call, open_manager: Callable[[], Any]) -> None:
        self._call = call
        self._open = open_manager
        self._manager: Any = None
        self._stream: Any = None

    def __enter__(self) -> Any:
        self._call.reserve()
        try:
            self._manager = self._open()
            self._stream = self._manager.__enter__()
        except BaseException as error:
            self._call.failed(error)
            raise
        return self._stream

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self._manager.__exit__(*exc_info)
        finally:
            self._call.settled(*self._outcome(), None)

    async def __aenter__(self) -> Any:
        await self._call.areserve()
        try:
            self._manager = self._open()
            self._stream = await self._manager.__aenter__()
        except BaseException as error:
            await self._call.afailed(error)
            raise
        return self._stream

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self._manager.__aexit__(*exc_info)
        finally:
            await self._call.asettled(*self._outcome(), None)

    def _outcome(self) -> tuple[Usage, LLMResponse]:
        watch = StreamWatch(self._call)
        messages = self._call.kind == "messages"
        try:
            snapshot = getattr(
                self._stream,
                "current_message_snapshot" if messages else "current_completion_snapshot",
            )
        except (AssertionError, AttributeError):
            snapshot = None  # no event arrived
        # Finished: Anthropic's message_delta set the stop reason; OpenAI's usage chunk came.
        done = getattr(snapshot, "stop_reason" if messages else "usage", None) is not None
        if done:
            watch.usage, watch.model = snapshot.usage, snapshot.model
        return watch.outcome()
