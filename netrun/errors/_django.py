"""Django glue shared by the DRF handler, the middleware and the error views."""

from __future__ import annotations

import sqlite3

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.log import log_response

from netrun.errors.conf import conf
from netrun.errors.exceptions import (
    DatabaseError,
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

#: SQLite's generic primary result code (``sqlite3.SQLITE_ERROR`` from Python 3.11 on).
_SQLITE_ERROR = 1


def client_wants_problem(request: HttpRequest) -> bool:
    """problem+json when the setting says so or the client's Accept asks for it."""
    return conf.problem_json or prefers_problem_json(request.headers.get("Accept"))


def client_wants_json(request: HttpRequest) -> bool:
    """JSON for API paths and for clients whose Accept prefers JSON to HTML."""
    if request.path.startswith(tuple(conf.json_path_prefixes)):
        return True
    return accepts_json(request.headers.get("Accept"))


def database_unavailable(exc: BaseException | None) -> bool:
    """True for a database error that is an outage, not a bug: a 503, not a 500.

    ``InterfaceError`` (the connection is gone) and ``OperationalError``, which PEP 249
    keeps for errors "not necessarily under the control of the programmer": a refused or
    lost connection (a pooler restarting), too many connections, an administrator's
    shutdown, a statement timeout, a deadlock. SQLite also files its statement errors
    ("no such table", a syntax error) under ``OperationalError`` with the generic code
    ``SQLITE_ERROR``: those stay 500s (so do Python 3.10's, which carry no code).
    """
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", None)
        return code is not None and code & 0xFF != _SQLITE_ERROR
    return True


def django_error(exc: BaseException) -> NetrunException | None:
    """The Netrun error for Django's own 404 and 403 exceptions, a database outage (503,
    ``DATABASE_ERROR``, with ``Retry-After``), and Netrun errors as is.

    The messages are the generic defaults: ``Http404("No Order matches ...")`` and
    ``PermissionDenied("not in group finance")`` describe the server's internals, and a
    database error's text names hosts and SQL. BadRequest, SuspiciousOperation and the
    rest stay with Django, which logs security events for them before calling
    ``handler400``. A ``RecursionError`` out of the JSON decoder (a body of 2 KB of ``[``)
    is the client's malformed request, a 400.
    """
    if isinstance(exc, NetrunException):
        return exc
    if is_parse_recursion(exc):
        return MalformedRequestError("The JSON body is nested too deeply.")
    if database_unavailable(exc):
        return DatabaseError()
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
