"""Django glue shared by the DRF handler, the middleware and the error views."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.log import log_response

from netrun.errors.conf import conf
from netrun.errors.exceptions import (
    MalformedRequestError,
    NetrunException,
    PermissionDeniedError,
    ResourceNotFoundError,
)
from netrun.errors.rendering import (
    RenderedError,
    accepts_json,
    is_parse_recursion,
    prefers_problem_json,
    render_error,
)


def client_wants_problem(request: HttpRequest) -> bool:
    """problem+json when the setting says so or the client's Accept asks for it."""
    return conf.problem_json or prefers_problem_json(request.headers.get("Accept"))


def client_wants_json(request: HttpRequest) -> bool:
    """JSON for API paths and for clients whose Accept prefers JSON to HTML."""
    if request.path.startswith(tuple(conf.json_path_prefixes)):
        return True
    return accepts_json(request.headers.get("Accept"))


def django_error(exc: BaseException) -> NetrunException | None:
    """The Netrun error for Django's own 404 and 403 exceptions (and Netrun errors as is).

    The messages are the generic defaults: ``Http404("No Order matches ...")`` and
    ``PermissionDenied("not in group finance")`` describe the server's internals.
    BadRequest, SuspiciousOperation and the rest stay with Django, which logs security
    events for them before calling ``handler400``. A ``RecursionError`` out of the JSON
    decoder (a body of 2 KB of ``[``) is the client's malformed request, a 400.
    """
    if isinstance(exc, NetrunException):
        return exc
    if is_parse_recursion(exc):
        return MalformedRequestError("The JSON body is nested too deeply.")
    if isinstance(exc, Http404):
        return ResourceNotFoundError()
    if isinstance(exc, PermissionDenied):
        return PermissionDeniedError()
    return None


def render_for(request: HttpRequest, exc: BaseException) -> RenderedError:
    return render_error(exc, problem=client_wants_problem(request), debug=debug_enabled())


def error_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """A JSON error response for ``exc``, negotiated for ``request``."""
    status, headers, body = render_for(request, exc)
    content_type = headers.pop("Content-Type")
    return JsonResponse(body, status=status, headers=headers, content_type=content_type)


def report_server_error(request: HttpRequest, exc: BaseException, response: HttpResponse) -> None:
    """Tell error trackers and the ``django.request`` logger about a 5xx we answered ourselves.

    Returning a response swallows the exception, so this does what Django's own handler
    would have done: send ``got_request_exception`` (Sentry and the test client listen to
    it) and log the response with the exception's traceback (which ``mail_admins`` and
    netrun.logging pick up). ``log_response`` marks the response as logged, so Django does
    not log it a second time without the traceback.
    """
    got_request_exception.send(sender=None, request=request)
    log_response(
        "%s: %s",
        response.reason_phrase,
        request.path,
        response=response,
        request=request,
        exception=exc,
    )


def debug_enabled() -> bool:
    return bool(settings.DEBUG)
