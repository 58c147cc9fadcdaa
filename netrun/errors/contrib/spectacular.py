"""drf-spectacular: the error envelope and problem+json on every operation's 4xx/5xx responses.

::

    SPECTACULAR_SETTINGS = {
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "netrun.errors.contrib.spectacular.postprocess_error_responses",
        ],
    }

The hook adds two schemas, ``NetrunError`` (the envelope) and ``NetrunProblem`` (RFC 9457),
and gives each operation the error statuses its view can answer, each with both media types
and the ``X-Correlation-ID`` header every netrun error carries:

=======  =========================================================================
status   when
=======  =========================================================================
400      the operation takes a body or query parameters (``VALIDATION_ERROR``, ...)
401      the view has authenticators (with ``WWW-Authenticate``)
403      a permission other than ``AllowAny``, or session auth on an unsafe method
404      the path has parameters, or the operation is a paginated GET
406      always (content negotiation)
415      the operation takes a body
429      the view has throttles (with ``Retry-After``)
500      always
=======  =========================================================================

A status the view declares itself (``@extend_schema(responses={401: OpenApiResponse(
description="Wrong password")})``) keeps its description and gets the envelope as its body
unless it declares one. The other apps' hooks (``netrun.logging``, ``netrun.ratelimit``,
``netrun.rbac``) build on :func:`iter_operations` and :func:`add_error_response`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, MutableMapping
from http import HTTPStatus
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from netrun.errors.exceptions import HTTPError, iter_error_classes
from netrun.errors.rendering import CORRELATION_ID_HEADER, JSON_MEDIA_TYPE, PROBLEM_JSON_MEDIA_TYPE

__all__ = [
    "ENVELOPE_COMPONENT",
    "HEADERS",
    "PROBLEM_COMPONENT",
    "add_error_response",
    "add_header_component",
    "error_statuses",
    "iter_operations",
    "postprocess_error_responses",
]

Schema = dict[str, Any]

ENVELOPE_COMPONENT = "NetrunError"
PROBLEM_COMPONENT = "NetrunProblem"

_CODE_PATTERN = r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_UNSAFE = frozenset({"post", "put", "patch", "delete"})

ENVELOPE_SCHEMA: Schema = {
    "type": "object",
    "description": "The Netrun error envelope: every error of the API has this shape.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details", "correlation_id"],
            "properties": {
                "code": {
                    "type": "string",
                    "pattern": _CODE_PATTERN,
                    "description": "Machine-readable, SCREAMING_SNAKE_CASE, stable.",
                },
                "message": {"type": "string", "description": "For humans; may change."},
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Machine-readable context (``fields`` for validation).",
                },
                "correlation_id": {
                    "type": "string",
                    "description": "The request's correlation ID (also X-Correlation-ID).",
                },
            },
        }
    },
}

PROBLEM_SCHEMA: Schema = {
    "type": "object",
    "description": (
        "RFC 9457 problem details, answered when the client's Accept ranks "
        "application/problem+json at least as high as application/json."
    ),
    "required": ["type", "title", "status", "detail", "code", "correlation_id", "details"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "format": "uri-reference"},
        "code": {"type": "string", "pattern": _CODE_PATTERN},
        "correlation_id": {"type": "string"},
        "details": {"type": "object", "additionalProperties": True},
    },
}

#: Response headers of error responses, as ``components/headers``.
HEADERS: dict[str, Schema] = {
    CORRELATION_ID_HEADER: {
        "description": "The request's correlation ID, the same as in the body.",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "WWW-Authenticate": {
        "description": "The authentication scheme to use (RFC 9110).",
        "schema": {"type": "string"},
    },
}

#: Headers each status carries beyond X-Correlation-ID.
_STATUS_HEADERS: dict[int, tuple[str, ...]] = {
    401: ("WWW-Authenticate",),
    429: ("Retry-After",),
    503: ("Retry-After",),
}


def _codes(status: int) -> list[str]:
    return sorted(
        {
            cls.error_code
            for cls in iter_error_classes()
            if cls.status_code == status and cls is not HTTPError
        }
    )


def _description(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    codes = _codes(status)
    return f"{phrase}: {', '.join(codes)}." if codes else f"{phrase}."


def add_header_component(result: MutableMapping[str, Any], name: str, header: Schema) -> Schema:
    """Register ``header`` under ``components/headers/name``; returns the ``$ref`` to it."""
    result.setdefault("components", {}).setdefault("headers", {}).setdefault(name, header)
    return {"$ref": f"#/components/headers/{name}"}


def _ensure_components(result: MutableMapping[str, Any]) -> None:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ENVELOPE_COMPONENT, ENVELOPE_SCHEMA)
    schemas.setdefault(PROBLEM_COMPONENT, PROBLEM_SCHEMA)
    for name, header in HEADERS.items():
        add_header_component(result, name, header)


def add_error_response(
    result: MutableMapping[str, Any],
    operation: MutableMapping[str, Any],
    status: int,
    *,
    description: str | None = None,
    headers: Mapping[str, Schema] | None = None,
) -> Schema:
    """Give ``operation`` the ``status`` error response in the envelope; returns the response.

    A response the operation already declares keeps its description and body (when it has
    one); the envelope, problem+json and the headers are added to what is missing.
    """
    _ensure_components(result)
    responses = operation.setdefault("responses", {})
    response: Schema = responses.setdefault(str(status), {})
    if not response.get("description") or response.get("description") == "No response body":
        response["description"] = description or _description(status)
    if not response.get("content"):
        response["content"] = {
            JSON_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{ENVELOPE_COMPONENT}"}},
            PROBLEM_JSON_MEDIA_TYPE: {
                "schema": {"$ref": f"#/components/schemas/{PROBLEM_COMPONENT}"}
            },
        }
    wanted = {
        name: {"$ref": f"#/components/headers/{name}"}
        for name in (CORRELATION_ID_HEADER, *_STATUS_HEADERS.get(status, ()))
    }
    wanted.update(headers or {})
    response_headers = response.setdefault("headers", {})
    for name, header in wanted.items():
        response_headers.setdefault(name, header)
    return response


def _resolve_path(paths: Mapping[str, Any], path: str) -> str | None:
    if path in paths:
        return path
    inserted = f"{spectacular_settings.SCHEMA_PATH_PREFIX_INSERT}{path}"
    if inserted in paths:
        return inserted
    # SCHEMA_PATH_PREFIX_TRIM: the schema's path is the view's with a prefix cut off.
    trimmed = [candidate for candidate in paths if path.endswith(candidate)]
    return max(trimmed, key=len) if trimmed else None


def iter_operations(
    result: MutableMapping[str, Any], generator: SchemaGenerator, request: Any = None
) -> Iterator[tuple[str, str, MutableMapping[str, Any], Any]]:
    """``(path, method, operation, view)`` of each operation of ``result``.

    The view is a fresh instance with a mock request of the method, as drf-spectacular's
    own generator builds it, so ``get_permissions()`` and ``get_throttles()`` answer for
    that method. Operations whose view is not found (a versioned path) are skipped.
    """
    paths = result.get("paths") or {}
    untyped: Any = generator  # its stubs say less than the generator does
    for path, _regex, method, callback in untyped.endpoints or ():
        view = untyped.create_view(callback, method)
        path = untyped.coerce_path(path, method, view)
        found = _resolve_path(paths, path)
        operation = paths.get(found, {}).get(method.lower()) if found else None
        if found is None or operation is None:
            continue
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, request)
        yield found, method.lower(), operation, view


def _query_or_body(operation: Mapping[str, Any]) -> bool:
    if "requestBody" in operation:
        return True
    return any(param.get("in") == "query" for param in operation.get("parameters", ()))


def error_statuses(path: str, method: str, operation: Mapping[str, Any], view: Any) -> list[int]:
    """The error statuses ``view`` can answer ``method`` on ``path`` with (table above)."""
    statuses = {406, 500}
    authenticators = view.get_authenticators()
    permissions = view.get_permissions()
    if _query_or_body(operation):
        statuses.add(400)
    if authenticators:
        statuses.add(401)
    if any(not isinstance(permission, AllowAny) for permission in permissions) or (
        method in _UNSAFE
        and any(isinstance(auth, SessionAuthentication) for auth in authenticators)
    ):
        statuses.add(403)
    # A missing object, or a page past the end of a paginated list ("Invalid page.").
    if re.search(r"{[^}]+}", path) or (method == "get" and getattr(view, "paginator", None)):
        statuses.add(404)
    if "requestBody" in operation:
        statuses.add(415)
    if view.get_throttles():
        statuses.add(429)
    return sorted(statuses)


def postprocess_error_responses(
    result: dict[str, Any], generator: SchemaGenerator, request: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: the netrun error responses on every operation."""
    _ensure_components(result)
    for path, method, operation, view in iter_operations(result, generator, request):
        for status in error_statuses(path, method, operation, view):
            add_error_response(result, operation, status)
    # Statuses a view declared itself, on operations iter_operations could not place.
    for item in (result.get("paths") or {}).values():
        for method in _METHODS:
            operation = item.get(method)
            for status in list((operation or {}).get("responses", {})):
                if str(status).isdigit() and int(status) >= 400:
                    add_error_response(result, operation, int(status))
    return result
