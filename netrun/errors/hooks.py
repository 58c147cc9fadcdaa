"""Who hears about a ``NetrunException`` when it is handled.

Constructing an exception has no side effect: a caught and handled error logs nothing. The
``exception_raised`` event is emitted where an error is *handled*: by :func:`report_exception`,
which every renderer of netrun.errors calls (:func:`netrun.errors.render_error`, so the DRF
handler, the Django middleware and error views, the FastAPI handlers), and the Celery
``task_failure`` receiver of :mod:`netrun.errors.celery`. One error is reported once, however
many layers render it.

:func:`report_exception` calls every registered *listener* with the error. Another package (or
a test, or an error tracker) subscribes with :func:`add_exception_listener` and leaves with
:func:`remove_exception_listener`. One listener is registered out of the box:
:func:`log_exception_raised`. netrun.errors is level 0 and netrun.logging level 1, so it looks
up ``netrun.logging.get_logger`` at call time (a soft dependency, guarded by
:func:`netrun.core.deps.is_available`) and, when it exists, logs::

    get_logger("netrun.errors").warning(
        "exception_raised", error_code=..., status_code=..., correlation_id=...
    )

When netrun.logging is missing it does nothing (no fallback to the standard library's
loggers, so nothing is logged twice once netrun.logging routes those through structlog).

A listener that raises never replaces the response being built: the failure becomes a
:class:`RuntimeWarning`. Listeners that report errors themselves are not notified again.

This module is framework-neutral: it imports nothing from Django, DRF or FastAPI.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from netrun.core.deps import is_available
from netrun.errors.exceptions import NetrunException

__all__ = [
    "ExceptionListener",
    "add_exception_listener",
    "exception_listeners",
    "log_exception_raised",
    "remove_exception_listener",
    "report_exception",
]

#: A callable told about each handled ``NetrunException``; its return value is ignored.
ExceptionListener = Callable[[NetrunException], object]

_LOGGING_MODULE = "netrun.logging"
_LOGGER_NAME = "netrun.errors"
# Set on an error once reported; an instance attribute, so it survives pickling (a Celery
# result re-raised in the caller is not reported a second time).
_REPORTED = "_netrun_reported"

_notifying: ContextVar[bool] = ContextVar("netrun_errors_notifying", default=False)


def log_exception_raised(exc: NetrunException) -> None:
    """Log ``exception_raised`` through netrun.logging when it provides ``get_logger``."""
    logger = _bridge.logger()
    if logger is None:
        return
    logger.warning(
        "exception_raised",
        error_code=exc.error_code,
        status_code=exc.status_code,
        correlation_id=exc.correlation_id,
    )


_listeners: list[ExceptionListener] = [log_exception_raised]


def add_exception_listener(listener: ExceptionListener) -> None:
    """Call ``listener(exc)`` for every ``NetrunException`` handled from now on.

    Adding the same listener twice has no effect.
    """
    if listener not in _listeners:
        _listeners.append(listener)


def remove_exception_listener(listener: ExceptionListener) -> None:
    """Stop calling ``listener``; removing one that is not registered has no effect."""
    if listener in _listeners:
        _listeners.remove(listener)


def exception_listeners() -> tuple[ExceptionListener, ...]:
    """The registered listeners, in the order they are called."""
    return tuple(_listeners)


def report_exception(exc: NetrunException) -> bool:
    """Tell every listener that ``exc`` is being handled; False when it was reported before."""
    if vars(exc).get(_REPORTED) or _notifying.get():
        return False
    vars(exc)[_REPORTED] = True
    token = _notifying.set(True)
    try:
        for listener in tuple(_listeners):
            try:
                listener(exc)
            except Exception as error:
                # A broken listener must not replace the response being built: warn instead.
                warnings.warn(
                    f"netrun.errors exception listener {listener!r} failed: "
                    f"{type(error).__name__}: {error}",
                    RuntimeWarning,
                    stacklevel=2,
                )
    finally:
        _notifying.reset(token)
    return True


class _LoggingBridge:
    """Finds ``netrun.logging.get_logger`` at call time and keeps the logger it made.

    Nothing is cached while netrun.logging is missing or still importing.
    """

    def __init__(self) -> None:
        self._factory: Any = None
        self._logger: Any = None

    def logger(self) -> Any:
        module = sys.modules.get(_LOGGING_MODULE)
        if module is None:
            if not is_available(_LOGGING_MODULE):
                return None
            try:
                module = importlib.import_module(_LOGGING_MODULE)
            except ImportError:
                return None
        factory = getattr(module, "get_logger", None)
        if not callable(factory):
            return None
        if factory is not self._factory:
            self._logger = factory(_LOGGER_NAME)
            self._factory = factory
        return self._logger


_bridge = _LoggingBridge()
