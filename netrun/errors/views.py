"""Error views for the root URLconf: JSON for API clients, Django's HTML pages otherwise.

In the project's root ``urls.py``::

    handler400 = "netrun.errors.views.handler400"
    handler403 = "netrun.errors.views.handler403"
    handler404 = "netrun.errors.views.handler404"
    handler500 = "netrun.errors.views.handler500"

A client "wants JSON" when the path starts with one of ``NETRUN_ERRORS_JSON_PATH_PREFIXES``
(default ``("/api/",)``) or its Accept header prefers JSON to HTML. Everyone else gets
Django's default views, which render the project's ``404.html`` etc. when they exist.

The JSON bodies use generic messages: the exception Django passes in (a resolver's list of
tried patterns, a ``PermissionDenied`` reason) describes the server, not the client's error.

``handler500`` answers a database outage (``OperationalError``, ``InterfaceError``: a
pooler restarting, a refused connection) raised outside any view, in a middleware that
queries before the view (the user, the tenant), with a 503 and ``Retry-After``: the
``DATABASE_ERROR`` envelope for JSON clients, the project's ``503.html`` (rendered without
a context) or a one-line page for the others.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.template import TemplateDoesNotExist, loader
from django.views import defaults

from netrun.core.context import current_correlation_id
from netrun.errors._django import client_wants_json, database_unavailable, error_response
from netrun.errors.exceptions import (
    DatabaseError,
    InternalServerError,
    PermissionDeniedError,
    ResourceNotFoundError,
    ValidationError,
)
from netrun.errors.rendering import CORRELATION_ID_HEADER

__all__ = ["handler400", "handler403", "handler404", "handler500"]


def _html(response: HttpResponse) -> HttpResponse:
    # HTML error pages carry the correlation ID too, when there is one, so a user's
    # screenshot of a 500 page can still be matched to the server's logs.
    correlation_id = current_correlation_id()
    if correlation_id is not None:
        response[CORRELATION_ID_HEADER] = correlation_id
    return response


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if client_wants_json(request):
        return error_response(request, ValidationError("Bad request."))
    return _html(defaults.bad_request(request, exception))


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if client_wants_json(request):
        return error_response(request, PermissionDeniedError())
    return _html(defaults.permission_denied(request, exception))


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if client_wants_json(request):
        return error_response(request, ResourceNotFoundError())
    return _html(defaults.page_not_found(request, exception))


def handler500(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its `except` block (asgiref carries the exception into the
    # thread an async request hops to), so the exception is sys.exc_info()'s.
    if database_unavailable(sys.exc_info()[1]):
        if client_wants_json(request):
            return error_response(request, DatabaseError())
        return _html(_service_unavailable())
    if client_wants_json(request):
        return error_response(request, InternalServerError())
    return _html(defaults.server_error(request))


def _service_unavailable() -> HttpResponse:
    try:
        # No context and no request: its context processors could query the database.
        body = loader.get_template("503.html").render()
    except TemplateDoesNotExist:
        body = "<h1>Service Unavailable (503)</h1>"
    return HttpResponse(body, status=503, headers={"Retry-After": str(DatabaseError.retry_after)})
