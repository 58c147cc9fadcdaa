"""Who hears about a ``NetrunException`` when one is constructed.

The seeds want every Netrun error logged as ``exception_raised`` through netrun.logging. But
netrun.errors is level 0 and netrun.logging level 1: a static import would be a layering
violation (and a cycle, since netrun.logging formats Netrun errors). So the dependency is
inverted and soft:

* :func:`notify_exception_raised` calls every registered *listener* with the new exception.
  Another package (or a test, or an error tracker) subscribes with
  :func:`add_exception_listener` and leaves with :func:`remove_exception_listener`.
* One listener is registered out of the box: :func:`log_exception_raised`. It looks up
  ``netrun.logging.get_logger`` at call time (``importlib``, guarded by
  :func:`netrun.core.deps.is_available`) and, when it exists, logs::

      get_logger("netrun.errors").warning(
          "exception_raised", error_code=..., status_code=..., correlation_id=...
      )

  When netrun.logging or its ``get_logger`` is missing it does nothing: there is no fallback
  to the standard library's loggers, so nothing is logged twice once netrun.logging routes
  those through structlog. netrun.logging can replace it with its own listener by removing
  this one.

A listener that raises never replaces the exception being constructed: the failure becomes a
:class:`RuntimeWarning`. Listeners that construct Netrun errors themselves are not notified
again (no recursion).

This module is framework-neutral: it imports nothing from Django, DRF or FastAPI.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from netrun.core.deps import is_available

if TYPE_CHECKING:
    from netrun.errors.exceptions import NetrunException

__all__ = [
    "ExceptionListener",
    "add_exception_listener",
    "exception_listeners",
    "log_exception_raised",
    "notify_exception_raised",
    "remove_exception_listener",
]

#: A callable told about each new ``NetrunException``; its return value is ignored.
ExceptionListener = Callable[["NetrunException"], object]

_LOGGING_MODULE = "netrun.logging"
_LOGGER_NAME = "netrun.errors"

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
    """Call ``listener(exc)`` for every ``NetrunException`` constructed from now on.

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


def notify_exception_raised(exc: NetrunException) -> None:
    """Tell every listener about ``exc``; called by ``NetrunException.__init__``."""
    if _notifying.get():
        return
    token = _notifying.set(True)
    try:
        for listener in tuple(_listeners):
            try:
                listener(exc)
            except Exception as error:
                # A broken listener must not replace the error being built: warn instead.
                warnings.warn(
                    f"netrun.errors exception listener {listener!r} failed: "
                    f"{type(error).__name__}: {error}",
                    RuntimeWarning,
                    stacklevel=2,
                )
    finally:
        _notifying.reset(token)


class _LoggingBridge:
    """Finds ``netrun.logging.get_logger`` at call time and keeps the logger it made.

    Nothing is cached while netrun.logging is missing or still importing (it may import
    netrun.errors itself, so it can be half-initialised when the first error is built).
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
