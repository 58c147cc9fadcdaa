"""Test helpers: capture netrun log events as dicts.

:func:`capture_logs` works like :func:`structlog.testing.capture_logs`, but the captured
events have been through netrun's context and redaction processors, so tests see what a sink
would see: ``correlation_id``, ``tenant_id``, ... present, secrets gone::

    from netrun.logging.testing import capture_logs

    def test_logs_the_order() -> None:
        with capture_logs() as logs:
            place_order()
        assert logs[0]["event"] == "order_placed"

Captures events from every thread while active (the configuration is process-wide).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.exceptions import DropEvent
from structlog.typing import Processor

from netrun.logging._config import _install, _processors, _state, add_logger_name
from netrun.logging._context import add_netrun_context
from netrun.logging.redaction import Redactor

__all__ = ["LogCapture", "capture_logs"]


class LogCapture:
    """The last processor while capturing: stores the event dict, thread-safely."""

    def __init__(self) -> None:
        self.entries: list[MutableMapping[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(
        self, logger: object, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> Any:
        event_dict["log_level"] = method_name
        event_dict.pop("exc_info", None)
        with self._lock:
            self.entries.append(event_dict)
        raise DropEvent


@contextmanager
def capture_logs(
    processors: list[Processor] | None = None, *, redactor: Redactor | None = None
) -> Iterator[list[MutableMapping[str, Any]]]:
    """Capture every structlog event while the block runs, as a list of event dicts.

    ``processors`` replaces the default capture chain (bound context, netrun context,
    redaction). Works whether or not netrun configured structlog; the previous configuration
    comes back on exit.
    """
    chain: list[Processor] = (
        processors
        if processors is not None
        else [
            structlog.contextvars.merge_contextvars,
            add_netrun_context,
            add_logger_name,
            structlog.processors.format_exc_info,
            redactor or Redactor(),
        ]
    )
    capture = LogCapture()
    previous_config = structlog.get_config()
    previous_processors = list(_processors)
    previous_level = _state.level
    # Netrun's logger class and sink, so loggers already cached by netrun see the capture
    # too (their processor list is the one being swapped), at every level.
    _install([*chain, capture])
    _state.level = 0
    try:
        yield capture.entries
    finally:
        _state.level = previous_level
        _processors[:] = previous_processors
        structlog.configure(**{**previous_config, "processors": previous_config["processors"]})
