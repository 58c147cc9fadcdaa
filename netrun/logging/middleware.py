"""Django middleware: one correlation ID per request, bound to every log line.

Add it first in ``MIDDLEWARE`` so everything after it, including errors, logs with the ID::

    MIDDLEWARE = ["netrun.logging.middleware.CorrelationIdMiddleware", ...]

The ID comes from ``X-Correlation-ID`` or ``X-Request-ID`` when valid, otherwise it is new;
the W3C ``traceparent`` header gives ``trace_id`` / ``span_id``. The response carries
``X-Correlation-ID``. ``request_started`` and ``request_finished`` are logged with method,
route, status, ``duration_ms``, user and tenant, never bodies, cookies or query strings. A
streamed response (server-sent events) is finished when its body ends: its line comes then,
with the whole duration and ``streamed: true``, and ``completed: false`` when the client went
away first. Sync and async capable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import empty

from netrun.core.context import bind, current_tenant_id, current_user_id
from netrun.core.middleware import (
    AsyncGetResponse,
    GetResponse,
    HybridMiddleware,
    on_stream_end,
    stream_in_context,
)
from netrun.logging._config import get_logger
from netrun.logging._http import RESPONSE_HEADER, IncomingIds, elapsed_ms, read_incoming_ids
from netrun.logging.access import note_served_correlation_id
from netrun.logging.autoconfig import take_over_django_loggers
from netrun.logging.conf import conf

__all__ = ["CorrelationIdMiddleware"]

logger = get_logger(__name__)


def _header_getter(request: HttpRequest) -> Callable[[str], str | None]:
    meta = request.META

    def header(name: str) -> str | None:
        value = meta.get("HTTP_" + name.upper().replace("-", "_"))
        return value if isinstance(value, str) else None

    return header


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", None) if match is not None else None
    # The route pattern ("orders/<int:pk>/") groups requests without their IDs; without one
    # (a 404, a response from middleware) the path is used, never with its query string.
    return route if route else request.path


def _user_id(request: HttpRequest) -> str | None:
    user_id = current_user_id()
    if user_id is not None:
        return user_id
    user = request.__dict__.get("user")
    # AuthenticationMiddleware installs a lazy object; only read it when something already
    # resolved it, so logging never costs a session lookup (or a sync query in async code).
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty:
        return None
    if not getattr(wrapped, "is_authenticated", False):
        return None
    pk = getattr(wrapped, "pk", None)
    return str(pk) if pk is not None else None


def _tenant_id(request: HttpRequest) -> str | None:
    tenant_id = current_tenant_id() or request.__dict__.get("tenant_id")
    if tenant_id is None:
        tenant = request.__dict__.get("tenant")
        tenant_id = getattr(tenant, "pk", None) if tenant is not None else None
    return str(tenant_id) if tenant_id is not None else None


class CorrelationIdMiddleware(HybridMiddleware):
    """Bind a correlation ID (and trace context) for the request; log its start and end."""

    def __init__(self, get_response: GetResponse | AsyncGetResponse) -> None:
        super().__init__(get_response)
        # Read once per middleware instance, i.e. once per handler, never per request.
        self.request_events = conf.request_events
        # Building the handler follows get_wsgi_application()'s django.setup(), which gives
        # Django its default console handlers back: hand them to netrun again.
        take_over_django_loggers()

    def handle(self, request: HttpRequest, get_response: GetResponse) -> HttpResponseBase:
        ids = self._start(request)
        saved = structlog.contextvars.get_contextvars()
        try:
            with bind(correlation_id=ids.correlation_id, trace=ids.trace):
                self._log_started(request)
                response = get_response(request)
                response = stream_in_context(self._finish(request, response, ids))
            # runserver logs its access line in this thread once the context is restored.
            note_served_correlation_id(ids.correlation_id)
            return response
        finally:
            _restore_bound_context(saved)

    async def ahandle(
        self, request: HttpRequest, get_response: AsyncGetResponse
    ) -> HttpResponseBase:
        ids = self._start(request)
        saved = structlog.contextvars.get_contextvars()
        try:
            async with bind(correlation_id=ids.correlation_id, trace=ids.trace):
                self._log_started(request)
                response = await get_response(request)
                return stream_in_context(self._finish(request, response, ids))
        finally:
            _restore_bound_context(saved)

    def _start(self, request: HttpRequest) -> IncomingIds:
        ids = read_incoming_ids(_header_getter(request))
        # Views and error handlers can read it without importing netrun.core.
        request.correlation_id = ids.correlation_id  # type: ignore[attr-defined]
        return ids

    def _log_started(self, request: HttpRequest) -> None:
        if self.request_events:
            logger.info("request_started", method=request.method, path=request.path)

    def _finish(
        self, request: HttpRequest, response: HttpResponseBase, ids: IncomingIds
    ) -> HttpResponseBase:
        if not response.has_header(RESPONSE_HEADER):
            response[RESPONSE_HEADER] = ids.correlation_id
        if not self.request_events:
            return response
        streamed = on_stream_end(
            response, lambda completed: self._log_finished(request, response, ids, completed)
        )
        if not streamed:
            self._log_finished(request, response, ids, None)
        return response

    def _log_finished(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        ids: IncomingIds,
        completed: bool | None,
    ) -> None:
        fields: dict[str, Any] = {
            "method": request.method,
            "route": _route(request),
            "status": response.status_code,
            "duration_ms": elapsed_ms(ids.started),
        }
        if completed is not None:  # a streamed body, logged when it ended
            fields["streamed"] = True
            if not completed:
                fields["completed"] = False
        user_id = _user_id(request)
        if user_id is not None:
            fields["user_id"] = user_id
        tenant_id = _tenant_id(request)
        if tenant_id is not None:
            fields["tenant_id"] = tenant_id
        logger.info("request_finished", **fields)


def _restore_bound_context(saved: dict[str, Any]) -> None:
    # A sync worker thread serves many requests in one context: values a view bound with
    # bind_context() must not reach the next request.
    if structlog.contextvars.get_contextvars() != saved:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**saved)
