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
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from netrun.core.context import current_correlation_id
from netrun.errors._django import client_wants_json, error_response
from netrun.errors.exceptions import (
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
    if client_wants_json(request):
        return error_response(request, InternalServerError())
    return _html(defaults.server_error(request))
