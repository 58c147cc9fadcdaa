"""Netrun errors: one exception hierarchy and one error envelope for DRF, Django and FastAPI.

Level 0 of the suite. Raise a :class:`NetrunException` subclass anywhere; the glue turns it
into ``{"error": {"code", "message", "details", "correlation_id"}}`` (or RFC 9457
``application/problem+json``) with an ``X-Correlation-ID`` header:

* DRF: ``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "netrun.errors.drf.exception_handler"``
* Django: ``"netrun.errors.middleware.ErrorEnvelopeMiddleware"`` in ``MIDDLEWARE`` and the
  ``handler400/403/404/500`` views of ``netrun.errors.views`` in the root URLconf
* FastAPI: ``netrun.errors.contrib.fastapi.install_exception_handlers(app)``

The hierarchy is drawn in :mod:`netrun.errors.exceptions`. This module imports without
Django installed or configured; the Django glue is referenced by dotted path.
"""

from __future__ import annotations

from netrun.errors.exceptions import (
    AuthenticationError,
    AuthorizationError,
    BadGatewayError,
    BudgetExceededError,
    ConfigurationError,
    ConflictError,
    CORSValidationError,
    DatabaseError,
    GatewayTimeoutError,
    HTTPError,
    InternalServerError,
    MalformedRequestError,
    MethodNotAllowedError,
    NetrunException,
    NotAcceptableError,
    PermissionDeniedError,
    RateLimitExceededError,
    ResourceNotFoundError,
    ServiceUnavailableError,
    TenantAccessDeniedError,
    TenantContextMissingError,
    TenantRequiredError,
    TokenExpiredError,
    TokenInvalidError,
    UnsupportedMediaTypeError,
    ValidationError,
    error_class_for_code,
    error_class_for_status,
    iter_error_classes,
)
from netrun.errors.hooks import (
    ExceptionListener,
    add_exception_listener,
    exception_listeners,
    log_exception_raised,
    remove_exception_listener,
    report_exception,
)
from netrun.errors.rendering import (
    CORRELATION_ID_HEADER,
    JSON_MEDIA_TYPE,
    PROBLEM_JSON_MEDIA_TYPE,
    RenderedError,
    accepts_json,
    as_netrun_exception,
    is_parse_recursion,
    loads_json,
    prefers_problem_json,
    render_error,
)

__all__ = [
    "CORRELATION_ID_HEADER",
    "JSON_MEDIA_TYPE",
    "PROBLEM_JSON_MEDIA_TYPE",
    "AuthenticationError",
    "AuthorizationError",
    "BadGatewayError",
    "BudgetExceededError",
    "CORSValidationError",
    "ConfigurationError",
    "ConflictError",
    "DatabaseError",
    "ExceptionListener",
    "GatewayTimeoutError",
    "HTTPError",
    "InternalServerError",
    "MalformedRequestError",
    "MethodNotAllowedError",
    "NetrunException",
    "NotAcceptableError",
    "PermissionDeniedError",
    "RateLimitExceededError",
    "RenderedError",
    "ResourceNotFoundError",
    "ServiceUnavailableError",
    "TenantAccessDeniedError",
    "TenantContextMissingError",
    "TenantRequiredError",
    "TokenExpiredError",
    "TokenInvalidError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "accepts_json",
    "add_exception_listener",
    "as_netrun_exception",
    "error_class_for_code",
    "error_class_for_status",
    "exception_listeners",
    "is_parse_recursion",
    "iter_error_classes",
    "loads_json",
    "log_exception_raised",
    "prefers_problem_json",
    "remove_exception_listener",
    "render_error",
    "report_exception",
]
