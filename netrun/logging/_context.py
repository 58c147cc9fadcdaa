"""Context on every event: the netrun.core IDs, and values bound with :func:`bind_context`.

Framework-neutral.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from typing import Any

import structlog

from netrun.core.context import (
    current_correlation_id,
    current_tenant_id,
    current_trace_context,
    current_user_id,
    new_correlation_id,
)

__all__ = [
    "add_netrun_context",
    "bind_context",
    "clear_context",
    "get_context",
    "get_correlation_id",
    "process_correlation_id",
    "set_process_correlation_id",
    "unbind_context",
]


def get_correlation_id() -> str | None:
    """The correlation ID of the current request or task (``netrun.core.context``)."""
    return current_correlation_id()


def bind_context(**values: Any) -> None:
    """Add ``values`` to every event logged from the current context (thread, task, request).

    Values are kept in :mod:`contextvars`, so an ``asyncio`` task or a request never sees
    another's. The correlation middleware and the Celery signals restore the context when
    their request or task ends.
    """
    structlog.contextvars.bind_contextvars(**values)


def unbind_context(*keys: str) -> None:
    """Remove ``keys`` bound with :func:`bind_context`; unknown keys are ignored."""
    structlog.contextvars.unbind_contextvars(*keys)


def clear_context() -> None:
    """Remove every value bound with :func:`bind_context` in the current context."""
    structlog.contextvars.clear_contextvars()


def get_context() -> dict[str, Any]:
    """The values bound with :func:`bind_context` in the current context."""
    return structlog.contextvars.get_contextvars()


# ----------------------------------------------------------------------------- process ID

# Work outside a request or task (a management command, the shell, start-up) has no
# correlation ID in netrun.core.context. When enabled, its log events carry one ID per
# process instead, so a command's lines can still be grouped; NETRUN_CORRELATION_ID lets a
# scheduler hand its own ID to the process.
_process_id: list[str | None] = [None]


def set_process_correlation_id(value: str | None = "") -> str | None:
    """Enable (``""`` picks one, from ``$NETRUN_CORRELATION_ID`` or new) or disable (``None``)
    the per-process fallback correlation ID; returns the ID now in force."""
    if value == "":
        value = os.environ.get("NETRUN_CORRELATION_ID") or new_correlation_id()
    _process_id[0] = value
    return value


def process_correlation_id() -> str | None:
    """The per-process fallback correlation ID, or ``None`` when disabled."""
    return _process_id[0]


def _new_process_id_after_fork() -> None:
    # A forked worker (Celery prefork, gunicorn) is a new process: it must not share its
    # parent's ID.
    if _process_id[0] is not None:
        _process_id[0] = new_correlation_id()


if hasattr(os, "register_at_fork"):  # pragma: no branch - absent only on Windows
    os.register_at_fork(after_in_child=_new_process_id_after_fork)


# ----------------------------------------------------------------------------- processor


def add_netrun_context(
    logger: object, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: add ``correlation_id``, ``tenant_id``, ``user_id``, ``trace_id``
    and ``span_id`` from ``netrun.core.context``. Values passed explicitly to the log call or
    bound with :func:`bind_context` win."""
    correlation_id = current_correlation_id() or _process_id[0]
    if correlation_id is not None and "correlation_id" not in event_dict:
        event_dict["correlation_id"] = correlation_id
    tenant_id = current_tenant_id()
    if tenant_id is not None and "tenant_id" not in event_dict:
        event_dict["tenant_id"] = tenant_id
    user_id = current_user_id()
    if user_id is not None and "user_id" not in event_dict:
        event_dict["user_id"] = user_id
    trace = current_trace_context()
    if trace is not None and "trace_id" not in event_dict:
        event_dict["trace_id"] = trace.trace_id
        event_dict["span_id"] = trace.span_id
    return event_dict
