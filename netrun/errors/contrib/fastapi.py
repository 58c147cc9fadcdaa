"""FastAPI / Starlette: the same error envelope as the Django side.

::

    from fastapi import FastAPI
    from netrun.errors.contrib.fastapi import install_exception_handlers

    app = FastAPI()
    install_exception_handlers(app)

==============================================  ===========================================
Raised                                          Answered as
==============================================  ===========================================
any ``NetrunException``                         itself
``HTTPException`` (Starlette's or FastAPI's)    the Netrun class for its status (else
                                                ``HTTPError``), its ``detail`` as message,
                                                its headers kept
``RequestValidationError``                      ``ValidationError``: 400, not FastAPI's 422,
                                                so DRF and FastAPI agree; per-field messages
                                                in ``details["fields"]``, never the input
``RecursionError`` from the JSON decoder         ``MalformedRequestError`` (400)
any other ``Exception``                         generic ``InternalServerError`` (500)
==============================================  ===========================================

Configuration is by argument only (``problem_json=True`` always answers RFC 9457
problem+json; otherwise the client's Accept decides): this module never reads Django
settings. Unhandled exceptions still propagate to the ASGI server after the 500 is sent
(Starlette's ``ServerErrorMiddleware`` re-raises them), so the server and error trackers log
them in full. With ``FastAPI(debug=True)`` Starlette shows its traceback page instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from netrun.errors.exceptions import (
    HTTPError,
    MalformedRequestError,
    NetrunException,
    ValidationError,
    error_class_for_status,
)
from netrun.errors.rendering import is_parse_recursion, prefers_problem_json, render_error

__all__ = ["install_exception_handlers", "to_netrun_exception"]

# Where FastAPI found a parameter; the field name alone is what a client needs.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})
_NON_FIELD = "non_field_errors"
# Statuses whose responses must not have a body (RFC 9110).
_NO_BODY = frozenset({204, 205, 304})


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in _LOCATIONS:
        parts = parts[1:]
    elif parts and parts[0] in _LOCATIONS:
        return _NON_FIELD
    return ".".join(parts) or _NON_FIELD


def _validation_fields(exc: RequestValidationError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in exc.errors():
        # Only "loc" and "msg": "input" echoes what the client sent (passwords included).
        # A JSON decode error's "loc" ends in a character offset, not a field.
        name = _NON_FIELD if error.get("type") == "json_invalid" else _field_name(error["loc"])
        fields.setdefault(name, []).append(str(error.get("msg")))
    return fields


def to_netrun_exception(exc: BaseException) -> NetrunException | None:
    """The Netrun error a FastAPI exception is answered with; ``None`` when unknown."""
    if isinstance(exc, NetrunException):
        return exc
    if is_parse_recursion(exc):
        return MalformedRequestError("The JSON body is nested too deeply.")
    if isinstance(exc, RequestValidationError):
        return ValidationError(details={"fields": _validation_fields(exc)})
    if isinstance(exc, HTTPException):
        message = exc.detail if isinstance(exc.detail, str) else None
        details: dict[str, Any] = {} if message is not None else {"detail": exc.detail}
        cls = error_class_for_status(exc.status_code)
        if cls is None:
            return HTTPError(exc.status_code, message, details)
        error = cls(message, details)
        error.status_code = exc.status_code
        return error
    return None


def install_exception_handlers(app: Starlette, *, problem_json: bool = False) -> None:
    """Register Netrun's handlers on a FastAPI (or Starlette) application."""

    async def handle(request: Request, exc: Exception) -> Response:
        error = to_netrun_exception(exc)
        problem = problem_json or prefers_problem_json(request.headers.get("accept"))
        debug = bool(getattr(request.app, "debug", False))
        status, headers, body = render_error(error or exc, problem=problem, debug=debug)
        content_type = headers.pop("Content-Type")
        extra = getattr(exc, "headers", None)
        if isinstance(exc, HTTPException) and extra:
            headers = {**extra, **headers}
        if status in _NO_BODY:
            return Response(status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers, media_type=content_type)

    app.add_exception_handler(NetrunException, handle)
    app.add_exception_handler(HTTPException, handle)
    app.add_exception_handler(RequestValidationError, handle)
    # Starlette routes Exception (and 500) to ServerErrorMiddleware, which calls this handler
    # and then re-raises, so the server still logs the traceback.
    app.add_exception_handler(Exception, handle)
