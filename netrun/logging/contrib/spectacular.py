"""drf-spectacular: ``X-Correlation-ID`` on every operation, asked for and answered.

::

    SPECTACULAR_SETTINGS = {
        "POSTPROCESSING_HOOKS": [
            ...,
            "netrun.logging.contrib.spectacular.postprocess_correlation_id",
        ],
    }

``CorrelationIdMiddleware`` takes a client's correlation ID from ``X-Correlation-ID`` (or
``X-Request-ID``) and answers every response with it in ``X-Correlation-ID``; the hook
documents both: an optional header parameter on each operation and a response header on each
of its responses.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.generators import SchemaGenerator

from netrun.errors.contrib.spectacular import HEADERS, add_header_component
from netrun.logging._http import RESPONSE_HEADER

__all__ = ["CORRELATION_ID_PARAMETER", "postprocess_correlation_id"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

CORRELATION_ID_PARAMETER: dict[str, Any] = {
    "name": RESPONSE_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Your ID for this request, echoed in the X-Correlation-ID response header and on "
        "every log line of the request (also read from X-Request-ID). 1 to 128 characters "
        "of A-Z a-z 0-9 . _ -; anything else is replaced by a new ID, never refused."
    ),
    # Any value is accepted (an invalid one is replaced), so the schema constrains none.
    "schema": {"type": "string"},
}


def postprocess_correlation_id(
    result: dict[str, Any], generator: SchemaGenerator, request: Any = None, **kwargs: Any
) -> dict[str, Any]:
    """``POSTPROCESSING_HOOKS`` entry: the correlation header parameter and response header."""
    header = add_header_component(result, RESPONSE_HEADER, HEADERS[RESPONSE_HEADER])
    for item in (result.get("paths") or {}).values():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(
                param.get("in") == "header" and param.get("name", "").lower() == "x-correlation-id"
                for param in parameters
            ):
                parameters.append(dict(CORRELATION_ID_PARAMETER))
            for response in operation.get("responses", {}).values():
                response.setdefault("headers", {}).setdefault(RESPONSE_HEADER, header)
    return result
