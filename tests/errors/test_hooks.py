"""The soft logging hook: listeners, and exception_raised through netrun.logging when handled."""

from __future__ import annotations

import importlib
import pickle
import sys
import types
from typing import Any

import pytest
from structlog.testing import capture_logs

import netrun.logging
from netrun.errors import (
    ConflictError,
    NetrunException,
    ValidationError,
    add_exception_listener,
    exception_listeners,
    hooks,
    log_exception_raised,
    remove_exception_listener,
    report_exception,
)


class RecordingLogger:
    def __init__(self, name: str) -> None:
        self.name = name
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def warning(self, event: str, **kw: Any) -> None:
        self.events.append(("warning", event, kw))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[RecordingLogger]:
    """Stand in for netrun.logging.get_logger; the loggers it made, in order."""
    made: list[RecordingLogger] = []

    def get_logger(name: str) -> RecordingLogger:
        made.append(RecordingLogger(name))
        return made[-1]

    monkeypatch.setattr(netrun.logging, "get_logger", get_logger, raising=False)
    return made


def test_the_logging_bridge_is_registered_out_of_the_box() -> None:
    assert log_exception_raised in exception_listeners()


def test_constructing_an_error_logs_nothing(recorded: list[RecordingLogger]) -> None:
    ConflictError("Order 7 already exists.")
    assert recorded == []


def test_reporting_an_error_logs_exception_raised_through_netrun_logging(
    recorded: list[RecordingLogger],
) -> None:
    exc = ConflictError(correlation_id="cid-log")
    assert report_exception(exc) is True
    assert [logger.name for logger in recorded] == ["netrun.errors"]
    assert recorded[0].events == [
        (
            "warning",
            "exception_raised",
            {"error_code": "CONFLICT", "status_code": 409, "correlation_id": exc.correlation_id},
        )
    ]


def test_an_error_is_reported_once(recorded: list[RecordingLogger]) -> None:
    exc = ConflictError()
    assert report_exception(exc) is True
    assert report_exception(exc) is False
    assert len(recorded[0].events) == 1


def test_the_reported_mark_survives_pickling(recorded: list[RecordingLogger]) -> None:
    exc = ConflictError()
    report_exception(exc)
    clone = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    fresh = pickle.loads(pickle.dumps(ConflictError()))  # noqa: S301 - our own bytes
    assert report_exception(clone) is False
    assert report_exception(fresh) is True


def test_the_logger_is_made_once_per_get_logger(recorded: list[RecordingLogger]) -> None:
    report_exception(ValidationError())
    report_exception(ValidationError())
    assert len(recorded) == 1
    assert len(recorded[0].events) == 2


def test_nothing_is_logged_when_netrun_logging_has_no_get_logger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(netrun.logging, "get_logger", raising=False)
    assert hooks._bridge.logger() is None
    report_exception(ValidationError())  # must not fail


def test_netrun_logging_is_imported_on_first_use(
    monkeypatch: pytest.MonkeyPatch, recorded: list[RecordingLogger]
) -> None:
    imported: list[str] = []

    def fake_import(name: str) -> types.ModuleType:
        imported.append(name)
        return netrun.logging

    monkeypatch.delitem(sys.modules, "netrun.logging")
    monkeypatch.setattr(importlib, "import_module", fake_import)
    report_exception(ValidationError())
    assert imported == ["netrun.logging"]
    assert recorded[0].events[0][1] == "exception_raised"


def test_nothing_is_logged_when_netrun_logging_is_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "netrun.logging")
    monkeypatch.setattr(hooks, "is_available", lambda module: False)
    assert hooks._bridge.logger() is None


def test_nothing_is_logged_when_importing_netrun_logging_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(name: str) -> types.ModuleType:
        raise ImportError(name)

    monkeypatch.delitem(sys.modules, "netrun.logging")
    monkeypatch.setattr(importlib, "import_module", broken)
    assert hooks._bridge.logger() is None


def test_the_real_netrun_logging_receives_exception_raised() -> None:
    exc = ConflictError()
    with capture_logs() as logs:
        report_exception(exc)
    events = [entry for entry in logs if entry.get("event") == "exception_raised"]
    assert events, logs
    assert events[0]["error_code"] == "CONFLICT"
    assert events[0]["correlation_id"] == exc.correlation_id


def test_listeners_are_added_once_called_and_removed() -> None:
    seen: list[NetrunException] = []
    add_exception_listener(seen.append)
    add_exception_listener(seen.append)
    try:
        exc = ValidationError()
        report_exception(exc)
    finally:
        remove_exception_listener(seen.append)
    remove_exception_listener(seen.append)  # removing twice is harmless
    report_exception(ValidationError())
    assert seen == [exc]


def test_a_failing_listener_warns_instead_of_replacing_the_error() -> None:
    def broken(exc: NetrunException) -> None:
        raise LookupError("listener bug")

    add_exception_listener(broken)
    try:
        exc = ConflictError("still me")
        with pytest.warns(RuntimeWarning, match="listener bug"):
            assert report_exception(exc) is True
    finally:
        remove_exception_listener(broken)
    assert exc.message == "still me"


def test_a_listener_building_errors_is_not_notified_again() -> None:
    calls: list[str] = []

    def rebuilding(exc: NetrunException) -> None:
        calls.append(exc.error_code)
        report_exception(ValidationError())

    add_exception_listener(rebuilding)
    try:
        report_exception(ConflictError())
    finally:
        remove_exception_listener(rebuilding)
    assert calls == ["CONFLICT"]
