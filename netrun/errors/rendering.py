"""One error envelope for every framework: status, headers and body from an exception.

The DRF handler, the Django middleware and views, and the FastAPI handlers all call
:func:`render_error`, so the same error gives the same response everywhere. Content
negotiation is a pure function of the ``Accept`` header (:func:`prefers_problem_json`,
:func:`accepts_json`); the glue decides what to pass in.

This module is framework-neutral: it imports nothing from Django, DRF or FastAPI.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, NamedTuple

from netrun.errors.exceptions import (
    InternalServerError,
    MalformedRequestError,
    NetrunException,
)
from netrun.errors.hooks import report_exception

__all__ = [
    "CORRELATION_ID_HEADER",
    "JSON_MEDIA_TYPE",
    "PROBLEM_JSON_MEDIA_TYPE",
    "RenderedError",
    "accepts_json",
    "as_netrun_exception",
    "is_parse_recursion",
    "loads_json",
    "parse_accept",
    "prefers_problem_json",
    "render_error",
]

JSON_MEDIA_TYPE = "application/json"
PROBLEM_JSON_MEDIA_TYPE = "application/problem+json"
CORRELATION_ID_HEADER = "X-Correlation-ID"


class RenderedError(NamedTuple):
    """What an error response consists of; unpacks as ``status, headers, body``."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def content_type(self) -> str:
        return self.headers["Content-Type"]


def as_netrun_exception(exc: BaseException, *, debug: bool = False) -> NetrunException:
    """``exc`` itself when it is a Netrun error, otherwise a generic :class:`InternalServerError`.

    The generic error never carries the original's text: exception messages of unhandled
    errors routinely hold SQL, file paths, settings or user data. Only with ``debug=True``
    (a developer's machine) are the type and message added to ``details``; never a traceback.
    """
    if isinstance(exc, NetrunException):
        return exc
    details: dict[str, Any] = {}
    if debug:
        details["exception_type"] = f"{type(exc).__module__}.{type(exc).__qualname__}"
        details["exception_message"] = str(exc)
    return InternalServerError(details=details)


def render_error(
    exc: BaseException,
    *,
    problem: bool = False,
    debug: bool = False,
    instance: str | None = None,
) -> RenderedError:
    """Render ``exc`` as the Netrun envelope, or as RFC 9457 problem+json with ``problem=True``.

    This is where an error counts as handled: the rendered error is reported once
    (:func:`netrun.errors.hooks.report_exception`, the ``exception_raised`` log line).
    Without ``debug``, a 5xx carries its error code and its class's generic
    ``default_message`` only, never the instance's message or details: a server error's text
    describes the server (a model name, a host).

    Headers always include ``Content-Type`` and ``X-Correlation-ID`` (the same ID as in the
    body), plus the error's own ``response_headers()`` (``Retry-After`` for rate limits that
    know when to retry, ``RateLimit-*`` from netrun.ratelimit). ``instance`` is the
    problem's ``instance`` member (ignored for the envelope).
    """
    error = as_netrun_exception(exc, debug=debug)
    report_exception(error)
    body = error.to_problem(instance=instance) if problem else error.to_dict()
    if error.status_code >= 500 and not debug:
        _generic(body, error, problem=problem)
    headers = {
        **error.response_headers(),
        "Content-Type": PROBLEM_JSON_MEDIA_TYPE if problem else JSON_MEDIA_TYPE,
        CORRELATION_ID_HEADER: error.correlation_id,
    }
    return RenderedError(error.status_code, headers, body)


def _generic(body: dict[str, Any], error: NetrunException, *, problem: bool) -> None:
    # The class's default message is written for clients; the instance's is not.
    target = body if problem else body["error"]
    target["detail" if problem else "message"] = type(error).default_message
    target["details"] = {}


# ------------------------------------------------------------------------- parsing

_JSON_MODULES = frozenset({"json", "json.decoder", "json.scanner"})
_PARSER_MODULE_PREFIXES = ("rest_framework.parsers",)


def _frames(tb: TracebackType | None) -> Any:
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def is_parse_recursion(exc: BaseException) -> bool:
    """True for a ``RecursionError`` raised while decoding JSON (a hostile nested body).

    The traceback says where: a frame of the standard ``json`` decoder or of a DRF parser.
    Any other ``RecursionError`` is a server bug and stays a 500.
    """
    if not isinstance(exc, RecursionError):
        return False
    for frame in _frames(exc.__traceback__):
        module = str(frame.f_globals.get("__name__", ""))
        if module in _JSON_MODULES or module.startswith(_PARSER_MODULE_PREFIXES):
            return True
    return False


def loads_json(data: str | bytes | bytearray) -> Any:
    """``json.loads`` for request bodies: any undecodable input is a 400 ``MALFORMED_REQUEST``.

    Broken JSON, bytes that are not UTF-8 and nesting deep enough to exhaust the recursion
    limit (``[[[[...``) all raise :class:`~netrun.errors.MalformedRequestError`, never a 500.
    """
    try:
        return json.loads(data)
    except RecursionError:
        raise MalformedRequestError("The JSON body is nested too deeply.") from None
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
        raise MalformedRequestError("The body is not valid JSON.") from None


# ------------------------------------------------------------------------- negotiation


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """The media ranges of an ``Accept`` header with their quality, in header order.

    Media types are lowercased; a missing or malformed ``q`` counts as 1 and 0 respectively.
    """
    ranges: list[tuple[str, float]] = []
    for part in (header or "").split(","):
        media_type, *params = (piece.strip() for piece in part.split(";"))
        if not media_type:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((media_type.lower(), quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float | None:
    qualities = [q for candidate, q in ranges if candidate == media_type]
    return max(qualities) if qualities else None


def prefers_problem_json(accept: str | None) -> bool:
    """True when ``Accept`` names ``application/problem+json`` at least as highly as JSON."""
    ranges = parse_accept(accept)
    problem = _quality(ranges, PROBLEM_JSON_MEDIA_TYPE)
    if not problem:
        return False
    json = _quality(ranges, JSON_MEDIA_TYPE)
    return json is None or problem >= json


def accepts_json(accept: str | None) -> bool:
    """True when ``Accept`` names a JSON type (``application/json``, ``application/*+json``)
    and ranks it at least as highly as ``text/html``.

    Browsers list ``text/html`` first and ``*/*`` last, so they get HTML; API clients that
    say what they want get JSON. Wildcards alone decide nothing.
    """
    ranges = parse_accept(accept)
    json = max(
        (
            q
            for media_type, q in ranges
            if media_type == JSON_MEDIA_TYPE
            or (media_type.startswith("application/") and media_type.endswith("+json"))
        ),
        default=0.0,
    )
    if json <= 0:
        return False
    html = _quality(ranges, "text/html")
    return html is None or json >= html
