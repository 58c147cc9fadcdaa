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

from collections.abc import Awaitable, Callable
from typing import cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase

from netrun.core.context import capture, iterate_in_context

__all__ = ["AsyncGetResponse", "GetResponse", "HybridMiddleware", "stream_in_context"]

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
    if not isinstance(response, StreamingHttpResponse) or isinstance(response, FileResponse):
        return response
    # The view's own iterator, not the make_bytes() wrapper streaming_content returns: the
    # wrapper cannot close it. Django keeps the view's close() among the closers it calls when
    # the response ends: ours replaces it, so the view's clean-up runs in the context too.
    inner = getattr(response, "_iterator", None) or response.streaming_content
    own_close = getattr(inner, "close", None)
    response.streaming_content = iterate_in_context(inner, capture())
    closers = getattr(response, "_resource_closers", None)
    if own_close is not None and isinstance(closers, list):
        closers[:] = [closer for closer in closers if closer != own_close]
    return response
