"""Celery glue: a task that fails with a Netrun error reports it (``exception_raised``) once.

A task's exception is handled by the worker, not by a renderer, so this is where it counts as
handled. ``NetrunErrorsConfig.ready()`` connects the receiver when Celery is installed;
outside Django call :func:`connect_signals` once, next to ``Celery(...)``. An error raised
again in a retry is the same instance only if the task re-raises it; each new instance is
reported once.
"""

from __future__ import annotations

from typing import Any

from celery import signals

from netrun.errors.exceptions import NetrunException
from netrun.errors.hooks import report_exception

__all__ = ["connect_signals", "disconnect_signals"]


def _task_failure(exception: BaseException | None = None, **kwargs: Any) -> None:
    if isinstance(exception, NetrunException):
        report_exception(exception)


def connect_signals() -> None:
    """Connect the ``task_failure`` receiver (idempotent: Celery dedupes by receiver)."""
    signals.task_failure.connect(_task_failure, weak=False)


def disconnect_signals() -> None:
    """Disconnect the receiver :func:`connect_signals` connected."""
    signals.task_failure.disconnect(_task_failure)
