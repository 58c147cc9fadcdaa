"""``log_operation`` and ``log_exception``: the seeds' operation and exception helpers.

Framework-neutral. Exceptions are read through the netrun.errors contract (``error_code``,
``status_code``, ``message``, ``details``, ``correlation_id``) with fallbacks, so any exception
can be logged.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, overload

from netrun.core.context import current_correlation_id
from netrun.logging._config import NetrunBoundLogger, get_logger

__all__ = ["exception_context", "log_exception", "log_operation"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _failure_fields(exc: BaseException) -> dict[str, Any]:
    fields: dict[str, Any] = {"error_type": type(exc).__name__}
    error_code = getattr(exc, "error_code", None)
    if error_code is not None:
        fields["error_code"] = error_code
    return fields


# The events of one call, shared by the sync and async wrappers.


def _started(bound: NetrunBoundLogger) -> float:
    bound.info("operation_started")
    return time.perf_counter()


def _failed(bound: NetrunBoundLogger, started: float, exc: BaseException) -> None:
    bound.error(
        "operation_failed",
        duration_ms=_elapsed_ms(started),
        result="failure",
        **_failure_fields(exc),
    )


def _completed(bound: NetrunBoundLogger, started: float) -> None:
    bound.info("operation_completed", duration_ms=_elapsed_ms(started), result="success")


class _Operation:
    """Wraps one function; built once per decorated function, not per call."""

    def __init__(self, name: str, logger: NetrunBoundLogger | None, fields: dict[str, Any]):
        self.name = name
        self.logger = logger
        self.fields = fields

    def bind(self, func: Callable[..., Any]) -> NetrunBoundLogger:
        logger = self.logger or get_logger(getattr(func, "__module__", None) or __name__)
        return logger.bind(operation=self.name, **self.fields)


@overload
def log_operation(
    name: str, *, logger: NetrunBoundLogger | None = ..., **fields: Any
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]: ...


@overload
def log_operation(
    name: Callable[_P, _R], *, logger: NetrunBoundLogger | None = ..., **fields: Any
) -> Callable[_P, _R]: ...


def log_operation(
    name: str | Callable[..., Any],
    *,
    logger: NetrunBoundLogger | None = None,
    **fields: Any,
) -> Any:
    """Log ``operation_started``, then ``operation_completed`` or ``operation_failed``.

    Works on plain and ``async`` functions::

        @log_operation("database_query")
        async def fetch_user(user_id: str) -> User: ...

    Every event has ``operation=<name>`` and ``fields``; completion adds ``duration_ms`` and
    ``result="success"``; failure adds ``duration_ms``, ``result="failure"``, ``error_type``
    (and ``error_code`` for netrun exceptions) and re-raises. The exception's message is not
    logged: it may hold user data; log it deliberately where it is handled.
    Used bare (``@log_operation``), the operation is named after the function.
    """
    if callable(name):
        return log_operation(name.__qualname__, logger=logger, **fields)(name)
    operation = _Operation(name, logger, fields)

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        bound = operation.bind(func)

        if inspect.iscoroutinefunction(func):
            async_func: Callable[_P, Awaitable[Any]] = func

            @functools.wraps(func)
            async def async_wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                started = _started(bound)
                try:
                    result = await async_func(*args, **kwargs)
                except BaseException as exc:
                    _failed(bound, started, exc)
                    raise
                _completed(bound, started)
                return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            started = _started(bound)
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                _failed(bound, started, exc)
                raise
            _completed(bound, started)
            return result

        return wrapper

    return decorate


def exception_context(exc: BaseException) -> dict[str, Any]:
    """The loggable fields of an exception, per the netrun.errors contract.

    ``error_code``, ``status_code``, ``message``, ``details`` and ``correlation_id`` come from
    the exception when it has them (any :class:`netrun.errors.NetrunException` does); other
    exceptions get ``error_type``, ``status_code=500`` and the current correlation ID.
    """
    status_code = getattr(exc, "status_code", None)
    message = getattr(exc, "message", None)
    context: dict[str, Any] = {
        "error_type": type(exc).__name__,
        "error_code": getattr(exc, "error_code", None) or "INTERNAL_ERROR",
        "status_code": status_code if isinstance(status_code, int) else 500,
        "message": message if isinstance(message, str) else str(exc),
        "correlation_id": getattr(exc, "correlation_id", None) or current_correlation_id(),
    }
    details = getattr(exc, "details", None)
    if details:
        context["details"] = details
    return context


def log_exception(
    exc: BaseException,
    event: str = "exception_logged",
    *,
    logger: NetrunBoundLogger | None = None,
    **fields: Any,
) -> None:
    """Log ``exc`` with its full context and traceback.

    Client errors (``status_code`` below 500) log at ``warning``, everything else at
    ``error``. ``details`` go through redaction like any other value.
    """
    context = exception_context(exc)
    context.update(fields)
    if context.get("correlation_id") is None:
        del context["correlation_id"]
    if logger is None:
        caller = sys._getframe(1).f_globals.get("__name__") if hasattr(sys, "_getframe") else None
        logger = get_logger(caller or __name__)
    target = logger
    if context["status_code"] < 500:
        target.warning(event, exc_info=exc, **context)
    else:
        target.error(event, exc_info=exc, **context)
