"""structlog configuration and ``get_logger``.

Netrun configures structlog once with a logger class, a sink and a processor list that stay
the same objects for the life of the process; reconfiguring changes what they point at. That
keeps ``cache_logger_on_first_use`` (the fast path) correct for loggers that were already used,
and lets :func:`netrun.logging.testing.capture_logs` swap the processors of every logger.

Three modes:

* **closed default** (no configuration at all): the first :func:`get_logger` of a process in
  which nobody configured structlog installs netrun's chain, redaction included, rendering
  console lines to ``sys.stderr`` at ``INFO``. A plain script or a FastAPI service never
  prints a secret because a set-up call was forgotten. A structlog configuration the project
  made itself, before or after, is left in charge.

* **netrun owns the output** (:func:`configure_logging`): structlog renders straight to a
  stream, without the stdlib round trip; a handler with :class:`~.formatters.NetrunFormatter`
  on the root logger sends stdlib records (Django, Celery, libraries) to the same stream
  through the same processors.
* **stdlib owns the output** (:func:`configure_structlog_for_stdlib`, what ``ready()`` does when
  Django's ``LOGGING`` stays in charge): structlog events, with context and redaction applied,
  are handed to stdlib loggers, to be rendered by the formatters in ``LOGGING``.

Framework-neutral.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import IO, Any, Final, cast

import structlog
from structlog.typing import Processor

from netrun.logging._chain import netrun_processor
from netrun.logging._context import _process_id as process_id
from netrun.logging.access import install_access_filters
from netrun.logging.formatters import NetrunFormatter, renderer
from netrun.logging.redaction import Redactor

__all__ = [
    "NetrunBoundLogger",
    "configure_logging",
    "configure_structlog_for_stdlib",
    "get_logger",
    "is_configured",
    "logging_state",
    "owns_structlog",
    "reset_logging",
]

_LEVELS: Final[dict[str, int]] = {
    "CRITICAL": logging.CRITICAL,
    "FATAL": logging.CRITICAL,
    "ERROR": logging.ERROR,
    "WARNING": logging.WARNING,
    "WARN": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
    "NOTSET": logging.NOTSET,
}


def parse_level(level: str | int) -> int:
    """A numeric level from ``"INFO"`` / ``"info"`` / ``20``; ``ValueError`` names the value."""
    if isinstance(level, int):
        return level
    try:
        return _LEVELS[level.upper()]
    except KeyError:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(_LEVELS)}") from None


@dataclass
class _State:
    # None (nothing installed), "default" (the closed default), "netrun" or "stdlib"
    mode: str | None = None
    level: int = logging.NOTSET
    stream: IO[str] | None = None
    handler: logging.Handler | None = None
    options: dict[str, Any] = field(default_factory=dict)


_state = _State()
_write_lock = threading.Lock()

# The one processor list structlog is given; reconfiguring replaces its items in place.
_processors: list[Processor] = []


def _write_line(line: Any = None, *rest: Any) -> bool:
    stream = _state.stream
    if stream is None:
        if _state.mode != "default":
            return False
        # Read at write time, like the stdlib's last-resort handler, so a redirected or
        # captured stderr gets the line.
        stream = sys.stderr
    if not isinstance(line, str):
        return False
    with _write_lock:
        stream.write(line + "\n")
        stream.flush()
    return True


class _Sink:
    """The object structlog wraps: writes rendered lines to the configured stream, or hands
    events to the stdlib logger of the same name (when stdlib owns the output)."""

    __slots__ = ("name",)

    def __init__(self, name: str | None = None) -> None:
        self.name = name

    def _to_stdlib(self, level: int, args: Any, kwargs: Any) -> None:
        stdlib_logger = logging.getLogger(self.name)
        if args and stdlib_logger.isEnabledFor(level):
            stdlib_logger.log(level, *args, **kwargs)

    # One method per level, each writing directly: this is the hot path.
    def debug(self, *args: Any, **kwargs: Any) -> None:
        if kwargs or not _write_line(*args):
            self._to_stdlib(logging.DEBUG, args, kwargs)

    def info(self, *args: Any, **kwargs: Any) -> None:
        if kwargs or not _write_line(*args):
            self._to_stdlib(logging.INFO, args, kwargs)

    def warning(self, *args: Any, **kwargs: Any) -> None:
        if kwargs or not _write_line(*args):
            self._to_stdlib(logging.WARNING, args, kwargs)

    def error(self, *args: Any, **kwargs: Any) -> None:
        if kwargs or not _write_line(*args):
            self._to_stdlib(logging.ERROR, args, kwargs)

    def critical(self, *args: Any, **kwargs: Any) -> None:
        if kwargs or not _write_line(*args):
            self._to_stdlib(logging.CRITICAL, args, kwargs)

    warn = warning
    exception = error
    fatal = critical
    msg = info


def _sink_factory(*args: Any) -> _Sink:
    return _Sink(args[0] if args and isinstance(args[0], str) else None)


class NetrunBoundLogger(structlog.BoundLoggerBase):
    """structlog bound logger whose level is read at call time, so reconfiguring applies
    to loggers that were already created and cached.

    Below the configured level a call costs one comparison. ``logger.info("event %s", x)``
    formats positional arguments like the stdlib; prefer keyword arguments.
    """

    def _log(self, level: int, method: str, event: str | None, args: Any, kw: Any) -> Any:
        if level < _state.level:
            return None
        if args:
            event = event % args if event is not None else None
        return self._proxy_to_logger(method, event, **kw)

    def is_enabled_for(self, level: int) -> bool:
        return level >= _state.level

    def debug(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if _state.level > logging.DEBUG:
            return None
        if args and event is not None:
            event = event % args
        return self._proxy_to_logger("debug", event, **kw)

    def info(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if _state.level > logging.INFO:
            return None
        if args and event is not None:
            event = event % args
        return self._proxy_to_logger("info", event, **kw)

    def warning(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if _state.level > logging.WARNING:
            return None
        if args and event is not None:
            event = event % args
        return self._proxy_to_logger("warning", event, **kw)

    warn = warning

    def error(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if _state.level > logging.ERROR:
            return None
        if args and event is not None:
            event = event % args
        return self._proxy_to_logger("error", event, **kw)

    def critical(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        if _state.level > logging.CRITICAL:
            return None
        if args and event is not None:
            event = event % args
        return self._proxy_to_logger("critical", event, **kw)

    fatal = critical

    def exception(self, event: str | None = None, *args: Any, **kw: Any) -> Any:
        kw.setdefault("exc_info", True)
        return self._log(logging.ERROR, "error", event, args, kw)

    def log(self, level: int, event: str | None = None, *args: Any, **kw: Any) -> Any:
        name = logging.getLevelName(level).lower()
        method = name if name in ("debug", "info", "warning", "error", "critical") else "info"
        return self._log(level, method, event, args, kw)

    msg = info


def _install(processors: Iterable[Processor]) -> None:
    _processors[:] = list(processors)
    structlog.configure(
        processors=_processors,
        wrapper_class=NetrunBoundLogger,
        logger_factory=_sink_factory,
        context_class=dict,
        cache_logger_on_first_use=True,
    )
    # Access lines (runserver, uvicorn, gunicorn) carry URLs: redacted in every mode.
    install_access_filters()


def _event_chain(
    app_name: str | None, environment: str | None, redactor: Redactor
) -> list[Processor]:
    return [netrun_processor(app_name, environment, redactor, process_id)]


def configure_logging(
    app_name: str | None = None,
    environment: str | None = None,
    enable_json: bool = True,
    log_level: str | int = "INFO",
    *,
    stream: IO[str] | None = None,
    sensitive_keys: Iterable[str] | None = None,
    extra_sensitive_keys: Iterable[str] = (),
    configure_stdlib: bool = True,
) -> None:
    """Make netrun own log output: structlog and stdlib ``logging`` alike.

    Events are rendered as JSON (``enable_json=True``) or console lines to ``stream``
    (default: ``sys.stdout`` at call time). With ``configure_stdlib`` the root logger gets one
    handler with the same processors (replacing the handler a previous call installed, so
    calling again is safe), and its level is set to ``log_level``.
    """
    level = parse_level(log_level)
    redactor = Redactor(sensitive_keys, extra_sensitive_keys=extra_sensitive_keys)
    target = stream if stream is not None else sys.stdout
    _state.mode = "netrun"
    _state.level = level
    _state.stream = target
    _state.options = {
        "app_name": app_name,
        "environment": environment,
        "enable_json": enable_json,
        "log_level": level,
        "stream": target,
    }
    _install([*_event_chain(app_name, environment, redactor), renderer(enable_json)])
    _remove_handler()
    if configure_stdlib:
        handler = logging.StreamHandler(target)
        handler.setFormatter(
            NetrunFormatter(
                enable_json, app_name=app_name, environment=environment, redactor=redactor
            )
        )
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(level)
        _state.handler = handler


def configure_structlog_for_stdlib(
    app_name: str | None = None,
    environment: str | None = None,
    *,
    sensitive_keys: Iterable[str] | None = None,
    extra_sensitive_keys: Iterable[str] = (),
) -> None:
    """Send structlog events, with netrun's context and redaction, to stdlib loggers.

    For projects whose ``LOGGING`` setting decides handlers and formats; use
    :class:`~.formatters.JSONFormatter` or :class:`~.formatters.ConsoleFormatter` there to
    render them. Levels are the stdlib loggers' levels.
    """
    redactor = Redactor(sensitive_keys, extra_sensitive_keys=extra_sensitive_keys)
    _state.mode = "stdlib"
    _state.level = logging.NOTSET
    _state.stream = None
    _state.options = {"app_name": app_name, "environment": environment}
    _remove_handler()
    _install(
        [
            *_event_chain(app_name, environment, redactor),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ]
    )


def _install_default() -> None:
    """The closed default: netrun's chain, redaction included, to ``sys.stderr``."""
    _state.mode = "default"
    _state.level = logging.INFO
    _state.stream = None
    _state.options = {}
    _install([*_event_chain(None, None, Redactor()), renderer(False)])


def owns_structlog() -> bool:
    """True when structlog runs netrun's processor list (configured by netrun or its default),
    not a configuration the project made itself."""
    return bool(structlog.get_config()["processors"] is _processors)


def _remove_handler() -> None:
    if _state.handler is not None:
        logging.getLogger().removeHandler(_state.handler)
        _state.handler = None


def reset_logging() -> None:
    """Undo :func:`configure_logging`: remove netrun's root handler, reset structlog."""
    _remove_handler()
    _state.mode = None
    _state.level = logging.NOTSET
    _state.stream = None
    _state.options = {}
    _processors.clear()
    structlog.reset_defaults()


def is_configured() -> bool:
    """True after :func:`configure_logging` or :func:`configure_structlog_for_stdlib`."""
    return _state.mode in ("netrun", "stdlib")


def logging_state() -> dict[str, Any]:
    """What netrun configured: ``mode`` (``None``, ``"default"``, ``"netrun"``,
    ``"stdlib"``) and its options; in ``"netrun"`` mode these are the
    :func:`configure_logging` arguments, ``stream`` included, so passing them back restores it."""
    return {"mode": _state.mode, **_state.options}


def get_logger(name: str | None = None, **initial_values: Any) -> NetrunBoundLogger:
    """A structlog logger for ``name``; without a name, for the calling module.

    Events carry ``logger=<name>``. Module-level use is cheap: nothing is built until the
    first event. When nothing configured structlog yet, netrun's closed default is installed
    first, so events are redacted even if :func:`configure_logging` is never called.
    """
    if not structlog.is_configured():
        _install_default()
    if name is None:
        # sys._getframe is the cheap way to ask for the caller's module; it exists in CPython
        # and PyPy, and the fallback keeps other interpreters working.
        frame = sys._getframe(1) if hasattr(sys, "_getframe") else None
        name = frame.f_globals.get("__name__", "root") if frame is not None else "root"
    return cast(NetrunBoundLogger, structlog.get_logger(name, **initial_values))


def add_logger_name(
    logger: object, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Processor: ``logger=<name>`` from the wrapped logger, like the stdlib records have."""
    name = getattr(logger, "name", None)
    if name is not None:
        event_dict["logger"] = name
    return event_dict
