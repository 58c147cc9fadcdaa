"""The base of Netrun's Django middleware: sync and async capable, with no thread hop.

Django calls a middleware with the next handler, ``get_response``, which is a coroutine
function under ASGI with only async-capable middleware, and a plain function otherwise. A
subclass writes its request path twice, once per mode (the twins stay side by side, each
calling ``get_response`` its own way); this class picks the one that matches::

    class TenantMiddleware(HybridMiddleware):
        def handle(self, request, get_response):
            with tenant_context(...):
                return get_response(request)

        async def ahandle(self, request, get_response):
            async with tenant_context(...):
                return await get_response(request)

A subclass that needs neither (its work is in ``process_exception``) passes the request on.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase

from netrun.core.context import capture, iterate_in_context, restore

__all__ = [
    "AsyncGetResponse",
    "GetResponse",
    "HybridMiddleware",
    "on_stream_end",
    "stream_in_context",
]

GetResponse = Callable[[HttpRequest], HttpResponseBase]
AsyncGetResponse = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


class HybridMiddleware:
    """Calls :meth:`handle` (sync) or :meth:`ahandle` (async), as ``get_response`` is."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse | AsyncGetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            # Django calls an async middleware only when it looks like a coroutine function.
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        return self.handle(request, cast(GetResponse, self.get_response))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # __init__ chose this path because get_response is a coroutine function.
        return await self.ahandle(request, cast(AsyncGetResponse, self.get_response))

    def handle(self, request: HttpRequest, get_response: GetResponse) -> HttpResponseBase:
        """The request path under WSGI (or sync middleware): override, calling ``get_response``."""
        return get_response(request)

    async def ahandle(
        self, request: HttpRequest, get_response: AsyncGetResponse
    ) -> HttpResponseBase:
        """The request path under ASGI: the async twin of :meth:`handle`."""
        return await get_response(request)


def stream_in_context(response: HttpResponseBase) -> HttpResponseBase:
    """``response`` with its streamed body, if any, iterated under the current context.

    A middleware that binds a context calls it on the response it returns: the body of a
    ``StreamingHttpResponse`` (an LLM answer over server-sent events) runs after every
    middleware has returned, and would otherwise log without the request's correlation ID
    and query without its tenant. A ``FileResponse`` is left alone (its bytes need none).
    """
    if _streamed_body(response):
        _replace_body(response, lambda inner: iterate_in_context(inner, capture()))
    return response


def on_stream_end(response: HttpResponseBase, callback: Callable[[bool], None]) -> bool:
    """Arrange ``callback(completed)`` to run once when ``response``'s streamed body ends:
    ``completed`` is ``True`` after the last chunk, ``False`` when the body was closed before
    (a client that went away). Returns whether it will run: ``False`` for a response that is
    not streamed (or a ``FileResponse``), whose end is now.

    For what belongs to the end of a request rather than to its first byte: the
    ``request_finished`` log line of an LLM answer streamed over server-sent events."""
    if not _streamed_body(response):
        return False
    finished: list[bool] = []

    def finish(completed: bool) -> None:
        if not finished:
            finished.append(completed)
            callback(completed)

    carried = capture()

    def closed() -> None:
        # Django calls it when the response closes. A body closed before its first chunk
        # never runs the wrapper's clean-up, so it finishes here; one that ended or was cut
        # mid-way finished already (or finishes here, the same way).
        with restore(carried):
            finish(False)

    _replace_body(response, lambda inner: _until_end(inner, finish))
    closers = getattr(response, "_resource_closers", None)
    if isinstance(closers, list):
        closers.append(closed)
    return True


def _streamed_body(response: HttpResponseBase) -> bool:
    # A FileResponse is left alone (its bytes need no context and end with no news).
    return isinstance(response, StreamingHttpResponse) and not isinstance(response, FileResponse)


def _replace_body(response: HttpResponseBase, wrap: Callable[[Any], Any]) -> None:
    """Wrap the view's own iterator, not the make_bytes() wrapper streaming_content returns:
    the wrapper cannot close it. Django keeps the view's close() among the closers it calls
    when the response ends: the wrapper closes it instead, so it is dropped from them."""
    streaming = cast(StreamingHttpResponse, response)
    inner = getattr(streaming, "_iterator", None) or streaming.streaming_content
    own_close = getattr(inner, "close", None)
    streaming.streaming_content = wrap(inner)
    closers = getattr(streaming, "_resource_closers", None)
    if own_close is not None and isinstance(closers, list):
        closers[:] = [closer for closer in closers if closer != own_close]


def _until_end(
    inner: Iterable[Any] | AsyncIterable[Any], callback: Callable[[bool], None]
) -> Iterator[Any] | AsyncIterator[Any]:
    if isinstance(inner, AsyncIterable):
        return _auntil_end(inner, callback)
    return _sync_until_end(inner, callback)


def _sync_until_end(inner: Iterable[Any], callback: Callable[[bool], None]) -> Iterator[Any]:
    completed = False
    try:
        yield from inner  # closing this generator closes ``inner`` first
        completed = True
    finally:
        callback(completed)


async def _auntil_end(
    inner: AsyncIterable[Any], callback: Callable[[bool], None]
) -> AsyncIterator[Any]:
    completed = False
    try:
        async for item in inner:
            yield item
        completed = True
    finally:
        try:
            aclose = getattr(inner, "aclose", None)
            if not completed and aclose is not None:
                await aclose()
        finally:
            callback(completed)
