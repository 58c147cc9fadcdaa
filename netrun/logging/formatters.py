"""stdlib ``logging`` formatters that run the netrun processors.

Records from Django, Celery and third-party libraries get the same keys, context and
redaction as netrun's own structlog events. :func:`netrun.logging.configure_logging` installs
one on the root logger; with Django's ``LOGGING`` in charge, reference them by dotted path::

    LOGGING = {
        "version": 1,
        "formatters": {"json": {"()": "netrun.logging.formatters.JSONFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["console"], "level": "INFO"},
    }

Framework-neutral.
"""

from __future__ import annotations

from typing import Any

import structlog
from structlog.typing import Processor

from netrun.logging._chain import add_timestamp
from netrun.logging._context import add_netrun_context
from netrun.logging.redaction import Redactor

__all__ = ["ConsoleFormatter", "JSONFormatter", "NetrunFormatter", "foreign_pre_chain"]


class AddAppInfo:
    """Processor adding the fixed ``app`` and ``environment`` keys."""

    __slots__ = ("_items",)

    def __init__(self, app_name: str | None, environment: str | None) -> None:
        self._items = tuple(
            (key, value)
            for key, value in (("app", app_name), ("environment", environment))
            if value
        )

    def __call__(self, logger: object, method_name: str, event_dict: Any) -> Any:
        for key, value in self._items:
            event_dict.setdefault(key, value)
        return event_dict


def add_request_correlation_id(logger: object, method_name: str, event_dict: Any) -> Any:
    """Take the correlation ID from the record's ``request``, when the record carries one.

    Django logs 4xx/5xx responses (``django.request``: "Not Found: /x") in its handler *after*
    the middleware chain has returned, so the request's context is already restored by then.
    The correlation middleware also stores the ID on the request, and Django passes the
    request in the record's ``extra``: that keeps those lines in their request's stream.
    """
    record = event_dict.get("_record")
    if "correlation_id" in event_dict or record is None:
        return event_dict
    if "correlation_id" in vars(record):
        # An access line (netrun.logging.access.AccessCorrelationFilter): its request's ID,
        # or None for a request that had none, never the process's ID.
        event_dict["correlation_id"] = vars(record)["correlation_id"]
        return event_dict
    correlation_id = getattr(getattr(record, "request", None), "correlation_id", None)
    if isinstance(correlation_id, str):
        event_dict["correlation_id"] = correlation_id
    return event_dict


def foreign_pre_chain(app_name: str | None = None, environment: str | None = None) -> list[Any]:
    """Processors that give a stdlib record the keys a netrun structlog event has."""
    chain: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_request_correlation_id,
        add_netrun_context,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        add_timestamp,
    ]
    if app_name or environment:
        chain.append(AddAppInfo(app_name, environment))
    chain.append(_drop_unknown_correlation_id)
    return chain


def _drop_unknown_correlation_id(logger: object, method_name: str, event_dict: Any) -> Any:
    if "correlation_id" in event_dict and event_dict["correlation_id"] is None:
        del event_dict["correlation_id"]
    return event_dict


def renderer(enable_json: bool) -> Processor:
    """The JSON or console renderer netrun uses."""
    if enable_json:
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=False)


class NetrunFormatter(structlog.stdlib.ProcessorFormatter):
    """A :class:`structlog.stdlib.ProcessorFormatter` with netrun's chain.

    Foreign records get context, level, logger name and timestamp; every record, foreign or
    from structlog, is redacted before it is rendered.
    """

    def __init__(
        self,
        enable_json: bool = True,
        *,
        app_name: str | None = None,
        environment: str | None = None,
        redactor: Redactor | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                redactor or Redactor(),
                renderer(enable_json),
            ],
            foreign_pre_chain=foreign_pre_chain(app_name, environment),
            **kwargs,
        )


class JSONFormatter(NetrunFormatter):
    """One JSON object per line."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("enable_json", None)
        super().__init__(True, **kwargs)


class ConsoleFormatter(NetrunFormatter):
    """Human-readable ``key=value`` lines for development."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("enable_json", None)
        super().__init__(False, **kwargs)
