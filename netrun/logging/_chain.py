"""The processor every netrun structlog event runs through, built for the hot path.

One processor (each processor call costs), three steps, each done once per event:

1. the values bound with ``bind_context`` (structlog's contextvars) and netrun's request
   IDs, read in one pass over the current context; the exception and the stack formatted;
2. the :class:`~netrun.logging.redaction.Redactor`, over what the caller passed, what was
   bound and the formatted exception: everything that did not come from netrun;
3. netrun's request IDs (their strings checked for secret-looking values, since a client
   chooses its correlation ID), logger name, app and environment, level and timestamp.
   Values netrun generates (level, timestamp, logger) are never scanned.

Explicit keyword arguments win over bound values, which win over netrun's context, as
before. Framework-neutral.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import MutableMapping
from typing import Any, Final

import structlog
from structlog.contextvars import STRUCTLOG_KEY_PREFIX
from structlog.typing import Processor

from netrun.logging.redaction import Redactor, redact_text

__all__ = ["add_timestamp", "iso_timestamp", "netrun_processor"]

# The ContextVar names of netrun.core.context, read in the same pass as the bound values.
_CORRELATION: Final = "netrun_correlation_id"
_TENANT: Final = "netrun_tenant_id"
_USER: Final = "netrun_user_id"
_TRACE: Final = "netrun_trace_context"

_PREFIX_LENGTH: Final = len(STRUCTLOG_KEY_PREFIX)
_LEVELS: Final = {"warn": "warning", "exception": "error", "fatal": "critical", "msg": "info"}

_format_exc_info = structlog.processors.format_exc_info
_render_stack = structlog.processors.StackInfoRenderer()

# (second, "YYYY-MM-DDTHH:MM:SS"): formatting the date and time once per second, not per
# event. One tuple, replaced whole, so a thread never reads half of an update.
_second: list[tuple[int, str]] = [(-1, "")]


def iso_timestamp() -> str:
    """Now, in UTC, as ISO 8601 with microseconds: ``2026-12-05T03:27:26.113843Z``."""
    now = time.time()
    second = int(now)
    cached = _second[0]
    if cached[0] != second:
        cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        _second[0] = cached
    return f"{cached[1]}.{int((now - second) * 1_000_000):06d}Z"


def add_timestamp(
    logger: object, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Processor: ``timestamp`` (:func:`iso_timestamp`)."""
    event_dict["timestamp"] = iso_timestamp()
    return event_dict


def _clean(value: Any) -> Any:
    if value.__class__ is str and len(value) >= 15:
        return redact_text(value)
    return value


def netrun_processor(
    app_name: str | None,
    environment: str | None,
    redactor: Redactor,
    process_id: list[str | None],
) -> Processor:
    """The one processor before the renderer. ``process_id`` is the one-item list holding
    the per-process fallback correlation ID, read at every event."""
    fixed = tuple(
        (key, value) for key, value in (("app", app_name), ("environment", environment)) if value
    )

    def process(
        logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        # 1. Bound values and netrun's IDs, in one pass over the context.
        correlation_id: Any = None
        tenant_id: Any = None
        user_id: Any = None
        trace: Any = None
        for var, value in contextvars.copy_context().items():
            name = var.name
            if name.startswith(STRUCTLOG_KEY_PREFIX):
                if value is not Ellipsis:
                    event_dict.setdefault(name[_PREFIX_LENGTH:], value)
            elif name == _CORRELATION:
                correlation_id = value
            elif name == _TENANT:
                tenant_id = value
            elif name == _USER:
                user_id = value
            elif name == _TRACE:
                trace = value
        if "exc_info" in event_dict:
            event_dict = _format_exc_info(logger, method_name, event_dict)
        if "stack_info" in event_dict:
            event_dict = _render_stack(logger, method_name, event_dict)

        # 2. Redaction of everything that did not come from netrun.
        event_dict = redactor(logger, method_name, event_dict)

        # 3. netrun's values. A client picks its correlation ID: its strings are checked.
        correlation_id = correlation_id or process_id[0]
        if correlation_id is not None and "correlation_id" not in event_dict:
            event_dict["correlation_id"] = _clean(correlation_id)
        if tenant_id is not None and "tenant_id" not in event_dict:
            event_dict["tenant_id"] = _clean(tenant_id)
        if user_id is not None and "user_id" not in event_dict:
            event_dict["user_id"] = _clean(user_id)
        if trace is not None and "trace_id" not in event_dict:
            event_dict["trace_id"] = _clean(trace.trace_id)
            event_dict["span_id"] = _clean(trace.span_id)
        logger_name = getattr(logger, "name", None)
        if logger_name is not None:
            event_dict["logger"] = logger_name
        for key, value in fixed:
            if key not in event_dict:
                event_dict[key] = value
        event_dict["level"] = _LEVELS.get(method_name, method_name)
        event_dict["timestamp"] = iso_timestamp()
        return event_dict

    return process
