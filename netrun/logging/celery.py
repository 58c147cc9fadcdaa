"""Celery glue: the request's context travels with its tasks, and no task inherits another's.

* ``before_task_publish`` copies :func:`netrun.core.context.capture` (correlation, tenant,
  user, ``traceparent``) into the task's message headers;
* ``task_prerun`` restores exactly that context around the task (every key: what the
  message lacks is bound as "none"), with a new correlation ID when the publisher had none,
  and binds ``task_id`` / ``task_name`` for the task's log lines;
* ``task_postrun`` undoes it and clears what is left, so the next task on the same worker
  thread starts empty.

Eagerly applied tasks (``task_always_eager``, ``.apply()``) run inside the caller and keep its
context. ``netrun.logging``'s ``ready()`` connects the signals when ``NETRUN_LOGGING_CELERY``
is on; outside Django call :func:`connect_signals` once, e.g. next to ``Celery(...)``.
With ``configure_worker_logging=True`` a worker's own logging (Celery's loggers, task
loggers) is set up by :func:`netrun.logging.configure_logging` instead of Celery.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from typing import Any

import structlog
from celery import signals

from netrun.core.context import capture, clear, correlation_context, current_correlation_id, restore
from netrun.logging._config import configure_logging

__all__ = ["HEADER", "connect_signals", "disconnect_signals", "install"]

#: The message header that carries the captured context.
HEADER = "netrun_context"

# Exit stacks of the tasks running now, by task ID; prerun and postrun run on the same
# thread, but a threads/eventlet pool runs several tasks at once.
_active: dict[str, ExitStack] = {}
_active_lock = threading.Lock()
_worker_logging: dict[str, Any] = {}


def _before_task_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is None:  # pragma: no cover - task protocol 1, unsupported since Celery 4
        return
    carried = capture()
    if carried:
        headers[HEADER] = carried


def _task_prerun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    if task_id is None or request is None or getattr(request, "is_eager", False):
        return
    carried = getattr(request, HEADER, None)
    stack = ExitStack()
    stack.enter_context(restore(carried if isinstance(carried, dict) else None))
    if current_correlation_id() is None:
        stack.enter_context(correlation_context())
    tokens = structlog.contextvars.bind_contextvars(task_id=task_id, task_name=task.name)
    stack.callback(structlog.contextvars.reset_contextvars, **tokens)
    with _active_lock:
        _active[task_id] = stack


def _task_postrun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    if task_id is None or getattr(request, "is_eager", False):
        return
    with _active_lock:
        stack = _active.pop(task_id, None)
    if stack is not None:
        stack.close()
    # Whatever the task bound by hand (bind_context, set without a with block) goes too.
    clear()
    structlog.contextvars.clear_contextvars()


def _setup_logging(**kwargs: Any) -> None:
    # Connected only when asked: Celery then leaves logging set-up to netrun.
    configure_logging(**_worker_logging)


def connect_signals(*, configure_worker_logging: bool = False, **logging_options: Any) -> None:
    """Connect the propagation receivers (idempotent: Celery dedupes by receiver).

    With ``configure_worker_logging``, Celery's ``setup_logging`` signal also gets a receiver
    that calls :func:`~netrun.logging.configure_logging` with ``logging_options``, so worker
    and task loggers render through netrun's processors.
    """
    signals.before_task_publish.connect(_before_task_publish, weak=False)
    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
    if configure_worker_logging:
        _worker_logging.clear()
        _worker_logging.update(logging_options)
        signals.setup_logging.connect(_setup_logging, weak=False)


def disconnect_signals() -> None:
    """Disconnect every receiver :func:`connect_signals` connected."""
    signals.before_task_publish.disconnect(_before_task_publish)
    signals.task_prerun.disconnect(_task_prerun)
    signals.task_postrun.disconnect(_task_postrun)
    signals.setup_logging.disconnect(_setup_logging)


def install(app: Any = None, **options: Any) -> None:
    """Alias of :func:`connect_signals`; ``app`` is accepted for symmetry, signals are global."""
    connect_signals(**options)
