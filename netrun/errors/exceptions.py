"""The Netrun exception hierarchy.

Every error a Netrun package raises on purpose is one of these. Each class fixes its HTTP
status and its machine-readable ``error_code`` as class attributes; instances carry the
human-readable ``message``, a ``details`` dict and the ``correlation_id`` of the work that
raised them::

    NetrunException                      500  NETRUN_ERROR
    ├── ValidationError                  400  VALIDATION_ERROR
    │   ├── CORSValidationError          400  CORS_VALIDATION_ERROR
    │   ├── MalformedRequestError        400  MALFORMED_REQUEST
    │   └── TenantRequiredError          400  TENANT_REQUIRED
    ├── AuthenticationError              401  AUTHENTICATION_ERROR
    │   ├── TokenExpiredError            401  TOKEN_EXPIRED
    │   └── TokenInvalidError            401  TOKEN_INVALID
    ├── AuthorizationError               403  AUTHORIZATION_ERROR
    │   ├── PermissionDeniedError        403  PERMISSION_DENIED
    │   └── TenantAccessDeniedError      403  TENANT_ACCESS_DENIED
    ├── ResourceNotFoundError            404  RESOURCE_NOT_FOUND
    ├── MethodNotAllowedError            405  METHOD_NOT_ALLOWED
    ├── NotAcceptableError               406  NOT_ACCEPTABLE
    ├── ConflictError                    409  CONFLICT
    ├── UnsupportedMediaTypeError        415  UNSUPPORTED_MEDIA_TYPE
    ├── RateLimitExceededError           429  RATE_LIMIT_EXCEEDED
    │   └── BudgetExceededError          429  BUDGET_EXCEEDED
    ├── InternalServerError              500  INTERNAL_SERVER_ERROR
    │   ├── ConfigurationError           500  CONFIGURATION_ERROR
    │   └── TenantContextMissingError    500  TENANT_CONTEXT_MISSING
    ├── BadGatewayError                  502  BAD_GATEWAY
    ├── ServiceUnavailableError          503  SERVICE_UNAVAILABLE
    │   └── DatabaseError                503  DATABASE_ERROR
    ├── GatewayTimeoutError              504  GATEWAY_TIMEOUT
    └── HTTPError                        any  HTTP_ERROR

Two choices deserve a word:

* ``TenantContextMissingError`` is a 500, not a 403. It means tenant-scoped code ran with no
  tenant bound at all, which is a server-side defect (a missing middleware, a Celery task
  published without tenant headers), not something the client can fix with other
  credentials. A 403 would tell the client "you may not" and hide the bug from 5xx alerting;
  failing closed is achieved by raising, whatever the status.
* ``BudgetExceededError`` is a 429 and a ``RateLimitExceededError``. A spending budget is a
  quota over a period, which is what 429 covers (and what OpenAI's API answers for an
  exhausted quota); 402 is "reserved for future use" in RFC 9110 and clients handle it
  inconsistently. As a subclass it carries ``retry_after`` (when the budget period resets),
  and code that backs off on rate limits backs off on budgets too.

``HTTPError`` wraps a framework's HTTP exception whose status has no class of its own (a DRF
``APIException`` with status 418, say); its status is set per instance.

This module is framework-neutral: it imports nothing from Django, DRF or FastAPI.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from netrun.core.context import current_correlation_id, new_correlation_id

__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "BadGatewayError",
    "BudgetExceededError",
    "CORSValidationError",
    "ConfigurationError",
    "ConflictError",
    "DatabaseError",
    "GatewayTimeoutError",
    "HTTPError",
    "InternalServerError",
    "MalformedRequestError",
    "MethodNotAllowedError",
    "NetrunException",
    "NotAcceptableError",
    "PermissionDeniedError",
    "RateLimitExceededError",
    "ResourceNotFoundError",
    "ServiceUnavailableError",
    "TenantAccessDeniedError",
    "TenantContextMissingError",
    "TokenExpiredError",
    "TokenInvalidError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "error_class_for_code",
    "error_class_for_status",
    "iter_error_classes",
]

_ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")


class NetrunException(Exception):
    """Base class of every Netrun error.

    ``details`` holds machine-readable context for the client; keyword arguments beyond the
    named ones are merged into it, so ``ResourceNotFoundError(resource="order", id=7)``
    reads naturally. Everything in ``message`` and ``details`` is sent to the client: never
    put secrets, SQL or stack traces there.
    """

    #: HTTP status of the response this error becomes.
    status_code: int = 500
    #: Machine-readable code, SCREAMING_SNAKE_CASE and unique across the suite.
    error_code: ClassVar[str] = "NETRUN_ERROR"
    #: Used when no message is given; safe to show to any client.
    default_message: ClassVar[str] = "An error occurred."
    #: RFC 9457 ``type`` URI; ``about:blank`` means "the HTTP status says it all".
    problem_type: ClassVar[str] = "about:blank"

    message: str
    details: dict[str, Any]
    correlation_id: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A malformed code is a programming error in the class body, so it fails where it is
        # written; duplicate codes are reported by the system check netrun.errors.E003.
        if not _ERROR_CODE.match(cls.error_code):
            raise TypeError(
                f"{cls.__qualname__}.error_code must be SCREAMING_SNAKE_CASE, "
                f"got {cls.error_code!r}"
            )

    def __init__(
        self,
        message: str | None = None,
        details: Mapping[str, Any] | None = None,
        *,
        correlation_id: str | None = None,
        **extra: Any,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.details = {**(details or {}), **extra}
        # Read, never set, the context: an exception outside a request must not leave its
        # generated ID behind for the next, unrelated piece of work in the same context.
        self.correlation_id = correlation_id or current_correlation_id() or new_correlation_id()
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, details={self.details!r}, "
            f"correlation_id={self.correlation_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle as cls(*args) by default, which would lose details, the
        # correlation ID and any per-instance status across a process boundary (Celery
        # results, multiprocessing).
        return (_restore, (type(self), dict(self.__dict__)))

    @property
    def title(self) -> str:
        """The HTTP reason phrase of ``status_code`` (the RFC 9457 ``title``)."""
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return "Error"

    def response_headers(self) -> dict[str, str]:
        """Extra HTTP headers every renderer adds to this error's response (none by default).

        Subclasses override it (``Retry-After`` for rate limits, ``RateLimit-*`` in
        netrun.ratelimit); ``Content-Type`` and ``X-Correlation-ID`` always win over it.
        """
        return {}

    def to_dict(self) -> dict[str, Any]:
        """The Netrun error envelope: ``{"error": {code, message, details, correlation_id}}``."""
        return {
            "error": {
                "code": self.error_code,
                "message": self.message,
                "details": self.details,
                "correlation_id": self.correlation_id,
            }
        }

    def to_problem(self, *, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 ``application/problem+json`` form of this error.

        ``code``, ``correlation_id`` and ``details`` are extension members, so a client can
        handle both representations with the same keys.
        """
        problem: dict[str, Any] = {
            "type": self.problem_type,
            "title": self.title,
            "status": self.status_code,
            "detail": self.message,
        }
        if instance is not None:
            problem["instance"] = instance
        problem["code"] = self.error_code
        problem["correlation_id"] = self.correlation_id
        problem["details"] = self.details
        return problem


def _restore(cls: type[NetrunException], state: dict[str, Any]) -> NetrunException:
    exc = cls.__new__(cls)
    Exception.__init__(exc, state.get("message", cls.default_message))
    exc.__dict__.update(state)
    return exc


# ------------------------------------------------------------------------------------ 4xx


class ValidationError(NetrunException):
    """The request's input is invalid; ``details["fields"]`` maps field names to messages."""

    status_code = 400
    error_code = "VALIDATION_ERROR"
    default_message = "Invalid input."


class CORSValidationError(ValidationError):
    """A CORS configuration or preflight request failed validation."""

    error_code = "CORS_VALIDATION_ERROR"
    default_message = "CORS validation failed."


class MalformedRequestError(ValidationError):
    """The request body could not be parsed at all (broken JSON, for example)."""

    error_code = "MALFORMED_REQUEST"
    default_message = "Malformed request."


class TenantRequiredError(ValidationError):
    """The request names no tenant, and what it asks for needs one.

    A 400, not a 403: nothing was refused to the caller; the request lacks the tenant it is
    for, and the client fixes it by naming one (``X-Tenant-ID``, a token's ``tenant_id``).
    """

    error_code = "TENANT_REQUIRED"
    default_message = "This request names no tenant."


class AuthenticationError(NetrunException):
    """No valid credentials were presented.

    An ``auth_header`` attribute (the ``WWW-Authenticate`` challenge, RFC 6750; DRF's
    convention, set by :func:`netrun.auth.exceptions.with_challenge`) is sent with the 401 by
    every renderer.
    """

    status_code = 401
    error_code = "AUTHENTICATION_ERROR"
    default_message = "Authentication failed."

    def response_headers(self) -> dict[str, str]:
        challenge = vars(self).get("auth_header")
        return {"WWW-Authenticate": str(challenge)} if challenge else {}


class TokenExpiredError(AuthenticationError):
    error_code = "TOKEN_EXPIRED"
    default_message = "The token has expired."


class TokenInvalidError(AuthenticationError):
    error_code = "TOKEN_INVALID"
    default_message = "The token is invalid."


class AuthorizationError(NetrunException):
    """The caller is known but may not do this."""

    status_code = 403
    error_code = "AUTHORIZATION_ERROR"
    default_message = "You are not authorized to perform this action."


class PermissionDeniedError(AuthorizationError):
    error_code = "PERMISSION_DENIED"
    default_message = "You do not have permission to perform this action."


class TenantAccessDeniedError(AuthorizationError):
    """The caller is not a member of the tenant the request is for."""

    error_code = "TENANT_ACCESS_DENIED"
    default_message = "You do not have access to this tenant."


class ResourceNotFoundError(NetrunException):
    status_code = 404
    error_code = "RESOURCE_NOT_FOUND"
    default_message = "Not found."


class MethodNotAllowedError(NetrunException):
    status_code = 405
    error_code = "METHOD_NOT_ALLOWED"
    default_message = "Method not allowed."


class NotAcceptableError(NetrunException):
    status_code = 406
    error_code = "NOT_ACCEPTABLE"
    default_message = "Could not satisfy the request's Accept header."


class ConflictError(NetrunException):
    status_code = 409
    error_code = "CONFLICT"
    default_message = "The request conflicts with the current state of the resource."


class UnsupportedMediaTypeError(NetrunException):
    status_code = 415
    error_code = "UNSUPPORTED_MEDIA_TYPE"
    default_message = "Unsupported media type."


class RateLimitExceededError(NetrunException):
    """Too many requests; ``retry_after`` is the number of seconds to wait, when known.

    The value is also in ``details["retry_after"]`` and becomes the ``Retry-After`` header.
    """

    status_code = 429
    error_code = "RATE_LIMIT_EXCEEDED"
    default_message = "Rate limit exceeded."

    retry_after: int | None

    def __init__(
        self,
        message: str | None = None,
        details: Mapping[str, Any] | None = None,
        *,
        retry_after: float | None = None,
        correlation_id: str | None = None,
        **extra: Any,
    ) -> None:
        # Retry-After takes whole seconds; rounding down would invite a retry that fails.
        seconds = None if retry_after is None else max(0, math.ceil(retry_after))
        self.retry_after = seconds
        if seconds is not None:
            extra["retry_after"] = seconds
        super().__init__(message, details, correlation_id=correlation_id, **extra)

    def response_headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class BudgetExceededError(RateLimitExceededError):
    """A spending budget (LLM cost, tokens) is used up until ``retry_after`` seconds pass."""

    error_code = "BUDGET_EXCEEDED"
    default_message = "Budget exceeded."


# ------------------------------------------------------------------------------------ 5xx


class InternalServerError(NetrunException):
    """The generic server error; every unhandled exception is rendered as this one."""

    status_code = 500
    error_code = "INTERNAL_SERVER_ERROR"
    default_message = "An internal server error occurred."


class ConfigurationError(InternalServerError):
    error_code = "CONFIGURATION_ERROR"
    default_message = "The server is misconfigured."


class TenantContextMissingError(InternalServerError):
    """Tenant-scoped work ran with no tenant bound (see the module docstring for the 500)."""

    error_code = "TENANT_CONTEXT_MISSING"
    default_message = "No tenant is bound to this operation."


class BadGatewayError(NetrunException):
    status_code = 502
    error_code = "BAD_GATEWAY"
    default_message = "An upstream service returned an invalid response."


class ServiceUnavailableError(NetrunException):
    """A service the server depends on is down; ``retry_after`` becomes ``Retry-After``."""

    status_code = 503
    error_code = "SERVICE_UNAVAILABLE"
    default_message = "The service is temporarily unavailable."
    #: Seconds a client should wait before retrying; ``None`` sends no ``Retry-After``.
    retry_after: ClassVar[int | None] = None

    def response_headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class DatabaseError(ServiceUnavailableError):
    """The database cannot be reached or cannot serve now (Django's glue maps
    ``OperationalError`` and ``InterfaceError`` to it): a lost or refused connection, a
    pooler restarting, too many connections, a statement timeout, a deadlock."""

    error_code = "DATABASE_ERROR"
    default_message = "The database is temporarily unavailable."
    retry_after = 5


class GatewayTimeoutError(NetrunException):
    status_code = 504
    error_code = "GATEWAY_TIMEOUT"
    default_message = "An upstream service did not answer in time."


class HTTPError(NetrunException):
    """A framework HTTP error whose status has no Netrun class; the status is per instance."""

    error_code = "HTTP_ERROR"

    def __init__(
        self,
        status_code: int,
        message: str | None = None,
        details: Mapping[str, Any] | None = None,
        *,
        correlation_id: str | None = None,
        **extra: Any,
    ) -> None:
        self.status_code = status_code
        if message is None:
            message = self.title
        super().__init__(message, details, correlation_id=correlation_id, **extra)


# ------------------------------------------------------------------------------- registry


def iter_error_classes() -> Iterator[type[NetrunException]]:
    """Every ``NetrunException`` class defined so far, the base first, parents before children.

    Classes defined by other packages (and by users) appear once their module is imported.
    """
    seen: set[type[NetrunException]] = set()
    pending: list[type[NetrunException]] = [NetrunException]
    while pending:
        cls = pending.pop(0)
        if cls in seen:
            continue
        seen.add(cls)
        yield cls
        pending.extend(cls.__subclasses__())


def error_class_for_code(code: str) -> type[NetrunException] | None:
    """The class that declares ``error_code == code``, or ``None``."""
    for cls in iter_error_classes():
        if "error_code" in vars(cls) and cls.error_code == code:
            return cls
    return None


#: The class a bare HTTP status maps to when a framework raises its own HTTP error.
_STATUS_CLASSES: dict[int, type[NetrunException]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: ResourceNotFoundError,
    405: MethodNotAllowedError,
    406: NotAcceptableError,
    409: ConflictError,
    415: UnsupportedMediaTypeError,
    429: RateLimitExceededError,
    500: InternalServerError,
    502: BadGatewayError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
}


def error_class_for_status(status_code: int) -> type[NetrunException] | None:
    """The canonical Netrun class for an HTTP status, or ``None`` (use :class:`HTTPError`)."""
    return _STATUS_CLASSES.get(status_code)
