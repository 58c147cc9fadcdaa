"""Views for the correlation middleware tests (test-only)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse

from netrun.core.context import current_correlation_id, current_trace_context
from netrun.logging import bind_context, get_logger

logger = get_logger(__name__)


def order_detail(request: HttpRequest, pk: int) -> JsonResponse:
    logger.info("order_viewed", order_id=pk)
    trace = current_trace_context()
    return JsonResponse(
        {
            "correlation_id": current_correlation_id(),
            "trace_id": trace.trace_id if trace else None,
        }
    )


async def async_order_detail(request: HttpRequest, pk: int) -> JsonResponse:
    logger.info("async_order_viewed", order_id=pk)
    return JsonResponse({"correlation_id": current_correlation_id()})


def binds_context(request: HttpRequest) -> HttpResponse:
    bind_context(leaky="value-from-a-view")
    logger.info("bound_in_view")
    return HttpResponse("ok")


def whoami(request: HttpRequest) -> HttpResponse:
    # Resolving request.user here is what makes the middleware log the user.
    logger.info("whoami", authenticated=request.user.is_authenticated)
    return HttpResponse("ok")


def preset_header(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("ok")
    response["X-Correlation-ID"] = "set-by-the-view"
    return response


def tenant_view(request: HttpRequest) -> HttpResponse:
    request.tenant_id = "acme"  # type: ignore[attr-defined]
    return HttpResponse("ok")


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("view failed")


def events(request: HttpRequest) -> StreamingHttpResponse:
    """Three server-sent events, each logged as it is sent (after the view returned)."""

    def body() -> Iterator[bytes]:
        for n in range(3):
            logger.info("event_sent", n=n)
            yield f"data: {n}\n\n".encode()

    return StreamingHttpResponse(body(), content_type="text/event-stream")


async def async_events(request: HttpRequest) -> StreamingHttpResponse:
    async def body() -> AsyncIterator[bytes]:
        for n in range(3):
            logger.info("event_sent", n=n)
            yield f"data: {n}\n\n".encode()

    return StreamingHttpResponse(body(), content_type="text/event-stream")
