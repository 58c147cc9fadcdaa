"""``HybridMiddleware`` runs the sync twin under WSGI and the async twin under ASGI."""

from __future__ import annotations

import asyncio

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import RequestFactory

from netrun.core.middleware import AsyncGetResponse, GetResponse, HybridMiddleware


class Tagging(HybridMiddleware):
    def handle(self, request: HttpRequest, get_response: GetResponse) -> HttpResponseBase:
        response = get_response(request)
        response["X-Path"] = "sync"
        return response

    async def ahandle(
        self, request: HttpRequest, get_response: AsyncGetResponse
    ) -> HttpResponseBase:
        response = await get_response(request)
        response["X-Path"] = "async"
        return response


def _view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


async def _async_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def test_a_sync_handler_gets_the_sync_twin() -> None:
    middleware = Tagging(_view)
    assert not middleware.async_mode
    assert not iscoroutinefunction(middleware)
    response = middleware(RequestFactory().get("/"))
    assert isinstance(response, HttpResponseBase)
    assert response["X-Path"] == "sync"


def test_an_async_handler_gets_the_async_twin_without_a_thread_hop() -> None:
    middleware = Tagging(_async_view)
    assert middleware.async_mode
    # Django calls a middleware with no thread hop only when it looks like a coroutine function.
    assert iscoroutinefunction(middleware)
    response = asyncio.run(middleware.__acall__(RequestFactory().get("/")))
    assert response["X-Path"] == "async"


def test_the_base_passes_the_request_on_in_both_modes() -> None:
    sync_response = HybridMiddleware(_view)(RequestFactory().get("/"))
    async_response = asyncio.run(HybridMiddleware(_async_view).__acall__(RequestFactory().get("/")))
    assert isinstance(sync_response, HttpResponse)
    assert sync_response.content == async_response.content == b"ok"
