"""Django REST framework: every exception a DRF view raises becomes the Netrun envelope.

::

    REST_FRAMEWORK = {"EXCEPTION_HANDLER": "netrun.errors.drf.exception_handler"}

The system check ``netrun.errors.W001`` reminds you when DRF is installed without it.

=========================================  ==============================================
Raised in the view                         Answered as
=========================================  ==============================================
any ``NetrunException``                    itself
DRF ``ValidationError``                    ``ValidationError``, ``details["fields"]``
Django ``ValidationError``                 ``ValidationError``, ``details["fields"]``
``ParseError``                             ``MalformedRequestError`` (400)
``NotAuthenticated``,                      ``AuthenticationError``, with DRF's status
``AuthenticationFailed``                   (401 with ``WWW-Authenticate``, else 403)
DRF ``PermissionDenied``,                  ``PermissionDeniedError`` (403)
Django ``PermissionDenied``
``NotFound``, Django ``Http404``           ``ResourceNotFoundError`` (404)
``MethodNotAllowed``                       ``MethodNotAllowedError`` (405, DRF adds
                                           ``Allow``)
``NotAcceptable``                          ``NotAcceptableError`` (406)
``UnsupportedMediaType``                   ``UnsupportedMediaTypeError`` (415)
``Throttled``                              ``RateLimitExceededError`` with ``Retry-After``
other ``APIException``                     the class for its status, else ``HTTPError``
Django ``OperationalError``,               ``DatabaseError`` (503 ``DATABASE_ERROR``, with
``InterfaceError`` (a database outage)     ``Retry-After``; SQLite statement errors: 500)
anything else, ``DEBUG`` off               generic ``InternalServerError`` (500)
anything else, ``DEBUG`` on                re-raised: Django's technical 500 page
=========================================  ==============================================

Django's own messages for ``Http404`` and ``PermissionDenied`` are replaced by generic ones;
DRF's ``detail`` strings are kept, since DRF exceptions are written for clients.

problem+json is answered when ``NETRUN_ERRORS_PROBLEM_JSON`` is on or the client's Accept
ranks ``application/problem+json`` at least as high as ``application/json``. DRF negotiates
a renderer before the view runs, and no renderer produces problem+json for a success: with
DRF's own negotiation a client accepting *only* problem+json gets a 406 for everything.
:class:`ContentNegotiation` (``REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"]``, check
``netrun.errors.W002``) answers such a client with JSON for successes and problem+json for
errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from rest_framework import exceptions as drf
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings

from netrun.errors._django import (
    client_wants_problem,
    debug_enabled,
    django_error,
    report_server_error,
)
from netrun.errors.exceptions import (
    AuthenticationError,
    HTTPError,
    MalformedRequestError,
    MethodNotAllowedError,
    NetrunException,
    NotAcceptableError,
    PermissionDeniedError,
    RateLimitExceededError,
    ResourceNotFoundError,
    UnsupportedMediaTypeError,
    ValidationError,
    error_class_for_status,
)
from netrun.errors.rendering import (
    JSON_MEDIA_TYPE,
    PROBLEM_JSON_MEDIA_TYPE,
    parse_accept,
    render_error,
)

__all__ = ["ContentNegotiation", "exception_handler", "to_netrun_exception"]

# Checked in order: subclasses of one another would otherwise match their parent first.
_DRF_CLASSES: tuple[tuple[type[drf.APIException], type[NetrunException]], ...] = (
    (drf.ParseError, MalformedRequestError),
    (drf.NotAuthenticated, AuthenticationError),
    (drf.AuthenticationFailed, AuthenticationError),
    (drf.PermissionDenied, PermissionDeniedError),
    (drf.NotFound, ResourceNotFoundError),
    (drf.MethodNotAllowed, MethodNotAllowedError),
    (drf.NotAcceptable, NotAcceptableError),
    (drf.UnsupportedMediaType, UnsupportedMediaTypeError),
)


def _plain(detail: Any) -> Any:
    """DRF's ``ErrorDetail`` trees as plain dicts, lists and strings."""
    if isinstance(detail, Mapping):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, (list, tuple)):
        return [_plain(item) for item in detail]
    return str(detail)


def _fields(detail: Any) -> dict[str, Any]:
    """Per-field messages; errors not tied to a field go under DRF's non-field key."""
    plain = _plain(detail)
    if isinstance(plain, dict):
        return plain
    return {api_settings.NON_FIELD_ERRORS_KEY: plain if isinstance(plain, list) else [plain]}


def _from_api_exception(exc: drf.APIException) -> NetrunException:
    detail = exc.detail
    message = str(detail) if isinstance(detail, str) else None
    details: dict[str, Any] = {} if message is not None else {"detail": _plain(detail)}
    cls = next((ours for theirs, ours in _DRF_CLASSES if isinstance(exc, theirs)), None)
    cls = cls or error_class_for_status(exc.status_code)
    if cls is None or cls is RateLimitExceededError:
        # A 429 that is not Throttled has no wait time to offer; HTTPError keeps the status.
        return HTTPError(exc.status_code, message, details)
    error = cls(message, details)
    # DRF answers 403 instead of 401 when no authenticator can send WWW-Authenticate.
    error.status_code = exc.status_code
    return error


def to_netrun_exception(exc: BaseException) -> NetrunException | None:
    """The Netrun error a DRF view's exception is answered with; ``None`` when unknown."""
    if isinstance(exc, drf.ValidationError):
        return ValidationError(details={"fields": _fields(exc.detail)})
    if isinstance(exc, DjangoValidationError):
        messages = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return ValidationError(details={"fields": _fields(messages)})
    if isinstance(exc, drf.Throttled):
        return RateLimitExceededError(str(exc.detail), retry_after=getattr(exc, "wait", None))
    if isinstance(exc, drf.APIException):
        return _from_api_exception(exc)
    return django_error(exc)


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: answer ``exc`` with the Netrun envelope.

    Returns ``None`` (DRF re-raises, Django handles it) for an unknown exception while
    ``DEBUG`` is on, and for ``BadRequest`` / ``SuspiciousOperation``, which Django logs to
    ``django.security`` before answering 400.
    """
    if isinstance(exc, (BadRequest, SuspiciousOperation)):
        return None
    error = to_netrun_exception(exc)
    if error is None and debug_enabled():
        return None

    # Imported here: rest_framework.views and .renderers read DRF settings at import time,
    # and this module must import before Django settings are configured.
    from rest_framework.renderers import JSONRenderer
    from rest_framework.views import set_rollback

    set_rollback()
    drf_request = context.get("request")
    request: HttpRequest | None = getattr(drf_request, "_request", None)
    problem = request is not None and client_wants_problem(request)
    status, headers, body = render_error(error or exc, problem=problem, debug=debug_enabled())
    content_type = headers.pop("Content-Type")
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = str(auth_header)

    if problem and drf_request is not None:
        # The browsable API must not render a problem document as HTML, and an HTML body
        # under a problem+json Content-Type would be worse: pin the JSON renderer.
        drf_request.accepted_renderer = JSONRenderer()
        drf_request.accepted_media_type = PROBLEM_JSON_MEDIA_TYPE
        response = Response(body, status=status, headers=headers, content_type=content_type)
    else:
        # The envelope goes through DRF's negotiated renderer (JSON, or the browsable API).
        response = Response(body, status=status, headers=headers)
    if status >= 500 and request is not None:
        report_server_error(request, exc, response)
    return response


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, plus: ``application/problem+json`` in Accept is served JSON.

    problem+json is the media type of *errors* (RFC 9457); a client that lists it alone
    still gets its successes as ``application/json`` (the first renderer producing it),
    and :func:`exception_handler` answers its errors as problem+json. Without this DRF
    refuses such a client with a 406 before the view runs.
    """

    def select_renderer(
        self, request: Any, renderers: Any, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        try:
            return super().select_renderer(request, renderers, format_suffix)  # type: ignore[no-any-return]
        except drf.NotAcceptable:
            accept = request.META.get("HTTP_ACCEPT")
            if not any(
                media_type == PROBLEM_JSON_MEDIA_TYPE and quality > 0
                for media_type, quality in parse_accept(accept)
            ):
                raise
            for renderer in renderers:
                if renderer.media_type == JSON_MEDIA_TYPE:
                    return renderer, JSON_MEDIA_TYPE
            raise
