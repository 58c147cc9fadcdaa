"""Pure ASGI correlation middleware, for FastAPI, Starlette or any ASGI app.

::

    app = FastAPI()
    app.add_middleware(CorrelationIdASGIMiddleware)

Same behaviour as the Django middleware: correlation ID from ``X-Correlation-ID`` /
``X-Request-ID`` when valid (else new, the replacement logged without the value), W3C
``traceparent`` parsed, both bound in ``netrun.core.context`` for the request, the
``X-Correlation-ID`` response header set, ``request_started`` / ``request_finished`` logged with
method, route, status and ``duration_ms``. Imports no framework: only the ASGI protocol.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from netrun.core.context import bind, current_tenant_id, current_user_id
from netrun.logging._config import get_logger
from netrun.logging._http import RESPONSE_HEADER, elapsed_ms, read_incoming_ids

__all__ = ["CorrelationIdASGIMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = get_logger(__name__)

_RESPONSE_HEADER = RESPONSE_HEADER.lower().encode("latin-1")


def _route(scope: Scope) -> str:
    # Starlette and FastAPI put the matched route in the scope once routing happened; its
    # path template groups requests without their IDs.
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(template, str) and template:
        return template
    return str(scope.get("path", ""))


class CorrelationIdASGIMiddleware:
    """Bind a correlation ID (and trace context) for each HTTP / WebSocket connection."""

    def __init__(self, app: ASGIApp, *, request_events: bool = True) -> None:
        self.app = app
        self.request_events = request_events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", ()):
            name = raw_name.decode("latin-1").lower()
            # The first occurrence wins, as with Django's META.
            headers.setdefault(name, raw_value.decode("latin-1"))
        ids = read_incoming_ids(headers.get)
        encoded_id = ids.correlation_id.encode("latin-1")
        status: list[int] = []

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                response_headers = list(message.get("headers", ()))
                if not any(key.lower() == _RESPONSE_HEADER for key, _ in response_headers):
                    response_headers.append((_RESPONSE_HEADER, encoded_id))
                message["headers"] = response_headers
            await send(message)

        async with bind(correlation_id=ids.correlation_id, trace=ids.trace):
            scope.setdefault("state", {})["correlation_id"] = ids.correlation_id
            if self.request_events:
                logger.info("request_started", method=scope.get("method"), path=scope["path"])
            try:
                await self.app(scope, receive, send_with_header)
            finally:
                if self.request_events:
                    fields: dict[str, Any] = {
                        "method": scope.get("method"),
                        "route": _route(scope),
                        "status": status[0] if status else 500,
                        "duration_ms": elapsed_ms(ids.started),
                    }
                    user_id = current_user_id()
                    if user_id is not None:
                        fields["user_id"] = user_id
                    tenant_id = current_tenant_id()
                    if tenant_id is not None:
                        fields["tenant_id"] = tenant_id
                    logger.info("request_finished", **fields)
