from __future__ import annotations

import asyncio
from typing import Any

import pytest

from netrun.core.context import correlation_context
from netrun.logging import exception_context, get_logger, log_exception, log_operation
from netrun.logging.testing import capture_logs


class FakeNetrunError(Exception):
    """Shaped like netrun.errors.NetrunException (the contract, not the class)."""

    status_code = 409
    error_code = "ORDER_CONFLICT"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.correlation_id = "exc-cid"


def test_sync_success_logs_start_and_completion_with_duration() -> None:
    @log_operation("database_query", table="orders")
    def query(x: int) -> int:
        return x * 2

    with capture_logs() as logs:
        assert query(21) == 42
    assert [e["event"] for e in logs] == ["operation_started", "operation_completed"]
    assert all(e["operation"] == "database_query" and e["table"] == "orders" for e in logs)
    assert logs[1]["result"] == "success"
    assert isinstance(logs[1]["duration_ms"], float)
    assert logs[1]["duration_ms"] >= 0
    assert logs[0]["logger"] == __name__
    assert query.__name__ == "query"


def test_sync_failure_logs_the_error_type_and_reraises() -> None:
    @log_operation("charge")
    def charge() -> None:
        raise FakeNetrunError("card declined for 4242")

    with capture_logs() as logs, pytest.raises(FakeNetrunError):
        charge()
    failed = logs[-1]
    assert failed["event"] == "operation_failed"
    assert failed["result"] == "failure"
    assert failed["error_type"] == "FakeNetrunError"
    assert failed["error_code"] == "ORDER_CONFLICT"
    assert failed["log_level"] == "error"
    assert "4242" not in str(failed)


def test_async_success_and_failure() -> None:
    @log_operation("fetch_user")
    async def fetch(user_id: str) -> str:
        await asyncio.sleep(0)
        return user_id

    @log_operation("fetch_broken")
    async def broken() -> None:
        raise KeyError("nope")

    with capture_logs() as logs:
        assert asyncio.run(fetch("u1")) == "u1"
        with pytest.raises(KeyError):
            asyncio.run(broken())
    assert [(e["operation"], e["event"]) for e in logs] == [
        ("fetch_user", "operation_started"),
        ("fetch_user", "operation_completed"),
        ("fetch_broken", "operation_started"),
        ("fetch_broken", "operation_failed"),
    ]
    assert logs[3]["error_type"] == "KeyError"
    assert asyncio.iscoroutinefunction(fetch)


def test_bare_decorator_names_the_operation_after_the_function() -> None:
    logger = get_logger("tests.custom")

    @log_operation
    def rebuild_index() -> None:
        return None

    @log_operation("with_logger", logger=logger)
    def other() -> None:
        return None

    with capture_logs() as logs:
        rebuild_index()
        other()
    assert logs[0]["operation"].endswith("rebuild_index")
    assert logs[2]["logger"] == "tests.custom"


def test_log_exception_logs_the_full_netrun_context() -> None:
    error = FakeNetrunError("conflict", details={"order_id": 7, "token": "t"})
    with capture_logs() as logs:
        try:
            raise error
        except FakeNetrunError as exc:
            log_exception(exc, request_path="/orders/7/")
    [event] = logs
    assert event["event"] == "exception_logged"
    assert event["log_level"] == "warning"
    assert event["error_code"] == "ORDER_CONFLICT"
    assert event["status_code"] == 409
    assert event["message"] == "conflict"
    assert event["details"] == {"order_id": 7, "token": "[REDACTED]"}
    assert event["correlation_id"] == "exc-cid"
    assert event["request_path"] == "/orders/7/"
    assert event["logger"] == __name__
    assert "FakeNetrunError" in event["exception"]


def test_log_exception_accepts_any_exception() -> None:
    with capture_logs() as logs, correlation_context("ctx-cid"):
        log_exception(RuntimeError("boom"), "job_crashed", logger=get_logger("tests.jobs"))
        log_exception(RuntimeError("no context"))
    assert logs[0]["event"] == "job_crashed"
    assert logs[0]["log_level"] == "error"
    assert logs[0]["error_code"] == "INTERNAL_ERROR"
    assert logs[0]["status_code"] == 500
    assert logs[0]["correlation_id"] == "ctx-cid"
    assert "details" not in logs[0]
    assert exception_context(RuntimeError("x"))["message"] == "x"


def test_log_exception_without_any_correlation_id_omits_it() -> None:
    from netrun.logging._context import set_process_correlation_id

    set_process_correlation_id(None)
    with capture_logs() as logs:
        log_exception(RuntimeError("no context"))
    assert "correlation_id" not in logs[0]
