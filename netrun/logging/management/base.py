"""A base class for management commands that run under their own correlation ID.

Every command's log lines already carry the per-process correlation ID
(``NETRUN_LOGGING_PROCESS_CORRELATION_ID``). Subclassing :class:`CorrelatedCommand` instead
of :class:`~django.core.management.base.BaseCommand` also binds the ID in
``netrun.core.context`` while ``handle()`` runs, so exceptions, Celery tasks sent and LLM calls
made by the command share it::

    class Command(CorrelatedCommand):
        def handle(self, *args: Any, **options: Any) -> None:
            ...

A scheduler can pass its own ID in ``$NETRUN_CORRELATION_ID``. Subclassing is used instead of
patching ``BaseCommand``: Django offers no hook around a command's execution.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand

from netrun.core.context import correlation_context, current_correlation_id
from netrun.logging._context import process_correlation_id
from netrun.logging._http import is_valid_correlation_id

__all__ = ["CorrelatedCommand"]


def command_correlation_id() -> str | None:
    """The ID a command runs under: ``$NETRUN_CORRELATION_ID``, else the process's ID."""
    value = os.environ.get("NETRUN_CORRELATION_ID")
    if value and is_valid_correlation_id(value):
        return value
    return process_correlation_id()


class CorrelatedCommand(BaseCommand):
    """A :class:`BaseCommand` whose ``execute()`` runs inside a correlation context."""

    def execute(self, *args: Any, **options: Any) -> Any:
        if current_correlation_id() is not None:
            # Called from inside a request, a task or another command: keep that ID.
            return super().execute(*args, **options)
        with correlation_context(command_correlation_id()):
            return super().execute(*args, **options)
