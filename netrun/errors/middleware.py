"""Django middleware: Netrun errors raised in plain (non-DRF) views become the envelope.

Add it to ``MIDDLEWARE`` (any position after the correlation middleware of netrun.logging,
so the envelope's correlation ID is the request's)::

    MIDDLEWARE = [
        ...,
        "netrun.errors.middleware.ErrorEnvelopeMiddleware",
    ]

* A ``NetrunException`` always becomes its envelope (JSON or problem+json).
* Django's ``Http404`` and ``PermissionDenied`` become the envelope when the client wants
  JSON (Accept, or a path under ``NETRUN_ERRORS_JSON_PATH_PREFIXES``); otherwise Django's
  handlers answer with HTML as usual.
* A ``RecursionError`` out of the JSON decoder (a deeply nested body) becomes the 400
  ``MALFORMED_REQUEST`` envelope, whatever the Accept header.
* A database outage (``OperationalError``, ``InterfaceError``) becomes the 503
  ``DATABASE_ERROR`` envelope with ``Retry-After`` for JSON clients; ``handler500`` answers
  the others with a 503 page.
* Any other exception becomes the generic 500 envelope when the client wants JSON and
  ``DEBUG`` is off; it is still sent to ``got_request_exception`` and logged with its
  traceback. With ``DEBUG`` on, or for HTML clients, Django handles it (technical 500 page
  or ``handler500``).
* A path no URL pattern matches, with ``DEBUG`` on: Django answers its technical 404 page
  and never calls ``handler404``; for a client that wants JSON (an API path, or Accept) the
  middleware answers the 404 ``RESOURCE_NOT_FOUND`` envelope instead, as ``handler404`` does
  with ``DEBUG`` off.

DRF views handle their exceptions before middleware sees them: use
``netrun.errors.drf.exception_handler`` there.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from netrun.core.middleware import AsyncGetResponse, GetResponse, HybridMiddleware
from netrun.errors._django import (
    client_wants_json,
    debug_enabled,
    django_error,
    error_response,
    report_server_error,
)
from netrun.errors.exceptions import (
    MalformedRequestError,
    NetrunException,
    ResourceNotFoundError,
)
from netrun.errors.rendering import is_parse_recursion

__all__ = ["ErrorEnvelopeMiddleware"]


class ErrorEnvelopeMiddleware(HybridMiddleware):
    """Render exceptions from views as the Netrun error envelope (sync and async capable)."""

    def handle(self, request: HttpRequest, get_response: GetResponse) -> HttpResponseBase:
        return _unrouted_page(request, get_response(request))

    async def ahandle(
        self, request: HttpRequest, get_response: AsyncGetResponse
    ) -> HttpResponseBase:
        return _unrouted_page(request, await get_response(request))

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        # Django adapts this hook to async itself (sync_to_async keeps sys.exc_info, which
        # got_request_exception receivers read).
        if isinstance(exception, NetrunException):
            error: BaseException = exception
        elif is_parse_recursion(exception):
            # The client's body, whatever its Accept says: a 400, never a 500 with a traceback.
            error = MalformedRequestError("The JSON body is nested too deeply.")
        elif isinstance(exception, (BadRequest, SuspiciousOperation)):
            # Django logs these to django.security and answers 400 through handler400.
            return None
        elif not client_wants_json(request):
            return None
        else:
            mapped = django_error(exception)
            if mapped is None and debug_enabled():
                return None
            error = mapped or exception
        response = error_response(request, error)
        if response.status_code >= 500:
            report_server_error(request, exception, response)
        return response


def _unrouted_page(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Django's technical 404 page (``DEBUG``, no URL pattern matched) as the envelope for
    a client that wants JSON; any other response as it is."""
    if (
        response.status_code == 404
        # A view ran when resolution succeeded: its Http404 reached process_exception, and
        # a 404 it returned itself is its own answer.
        and getattr(request, "resolver_match", None) is None
        and str(response.get("Content-Type", "")).startswith("text/html")
        and debug_enabled()
        and client_wants_json(request)
    ):
        return error_response(request, ResourceNotFoundError())
    return response
