from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from netrun.core.context import TraceContext, correlation_context, tenant_context, trace_context
from netrun.logging import (
    configure_logging,
    configure_structlog_for_stdlib,
    get_logger,
    is_configured,
    reset_logging,
)
from netrun.logging._config import logging_state, parse_level
from netrun.logging.formatters import ConsoleFormatter, JSONFormatter, NetrunFormatter
from tests.logging.conftest import JsonStream


def test_structlog_events_render_as_json_with_context(json_logs: JsonStream) -> None:
    trace = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    with correlation_context("req-1"), tenant_context("acme"), trace_context(trace):
        get_logger("tests.config").info("order_placed", order_id=7, password="hunter2")

    [event] = json_logs.named("order_placed")
    assert event["order_id"] == 7
    assert event["password"] == "[REDACTED]"
    assert event["correlation_id"] == "req-1"
    assert event["tenant_id"] == "acme"
    assert event["trace_id"] == trace.trace_id
    assert event["span_id"] == trace.span_id
    assert event["logger"] == "tests.config"
    assert event["level"] == "info"
    assert event["app"] == "tests"
    assert event["environment"] == "test"
    assert event["timestamp"].endswith("Z")


def test_stdlib_records_go_through_the_same_processors(json_logs: JsonStream) -> None:
    with correlation_context("req-2"), tenant_context("acme"):
        logging.getLogger("django.request").warning(
            "Forbidden: %s token=%s", "/admin/", "Bearer abcdefghijklmnop"
        )

    [event] = [e for e in json_logs.events() if e.get("logger") == "django.request"]
    assert event["event"] == "Forbidden: /admin/ token=Bearer [REDACTED]"
    assert event["level"] == "warning"
    assert event["correlation_id"] == "req-2"
    assert event["tenant_id"] == "acme"
    assert event["app"] == "tests"


def test_exceptions_are_formatted_and_redacted(json_logs: JsonStream) -> None:
    try:
        raise ValueError("could not reach postgresql://app:s3cret@db/main")
    except ValueError:
        get_logger("tests.config").exception("connect_failed")
        logging.getLogger("tests.stdlib").exception("stdlib_connect_failed")

    for name in ("connect_failed", "stdlib_connect_failed"):
        [event] = json_logs.named(name)
        assert event["level"] == "error"
        assert "ValueError" in event["exception"]
        assert "s3cret" not in event["exception"]
        assert "postgresql://app:***@db/main" in event["exception"]


def test_positional_arguments_are_formatted(json_logs: JsonStream) -> None:
    get_logger("tests.config").info("user %s logged in", "ada")
    assert json_logs.named("user ada logged in")


def test_levels_below_the_configured_one_are_dropped() -> None:
    stream = JsonStream()
    configure_logging(log_level="WARNING", stream=stream)
    logger = get_logger("tests.config")
    logger.debug("d")
    logger.info("i")
    logger.warning("w")
    logger.error("e")
    logger.critical("c")
    logger.log(logging.ERROR, "logged")
    logging.getLogger("tests.stdlib").info("stdlib_info")
    assert [e["event"] for e in stream.events()] == ["w", "e", "c", "logged"]
    assert logger.is_enabled_for(logging.ERROR) is True
    assert logger.is_enabled_for(logging.INFO) is False


def test_reconfiguring_applies_to_loggers_already_used_and_adds_no_second_handler() -> None:
    logger = get_logger("tests.config")
    first, second = JsonStream(), JsonStream()
    configure_logging(stream=first)
    logger.info("one")
    configure_logging(stream=second, log_level="DEBUG")
    configure_logging(stream=second, log_level="DEBUG")
    logger.debug("two")
    logging.getLogger("tests.stdlib").info("three")

    assert [e["event"] for e in first.events()] == ["one"]
    assert [e["event"] for e in second.events()] == ["two", "three"]
    netrun_handlers = [
        h for h in logging.getLogger().handlers if isinstance(h.formatter, NetrunFormatter)
    ]
    assert len(netrun_handlers) == 1


def test_console_renderer_writes_key_value_lines() -> None:
    stream = io.StringIO()
    configure_logging(enable_json=False, stream=stream)
    get_logger("tests.config").info("console_event", token="abc", count=3)
    line = stream.getvalue()
    assert "console_event" in line
    assert "token=[REDACTED]" in line
    assert "count=3" in line
    assert logging_state()["enable_json"] is False


def test_get_logger_without_a_name_uses_the_calling_module(json_logs: JsonStream) -> None:
    get_logger().info("named_after_module")
    [event] = json_logs.named("named_after_module")
    assert event["logger"] == __name__


def test_initial_values_are_bound(json_logs: JsonStream) -> None:
    get_logger("tests.config", component="billing").info("bound")
    assert json_logs.named("bound")[0]["component"] == "billing"


def test_an_unknown_level_is_rejected_with_its_name() -> None:
    with pytest.raises(ValueError, match="'LOUD'"):
        configure_logging(log_level="LOUD")
    assert parse_level("warn") == logging.WARNING
    assert parse_level(15) == 15


def test_configure_stdlib_false_leaves_the_root_logger_alone() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    configure_logging(stream=io.StringIO(), configure_stdlib=False)
    assert root.handlers == before


def test_stdlib_mode_hands_events_to_stdlib_loggers_for_their_formatters() -> None:
    configure_structlog_for_stdlib(app_name="tests", extra_sensitive_keys=["ssn"])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    target = logging.getLogger("tests.stdlib_mode")
    target.addHandler(handler)
    target.setLevel(logging.INFO)
    try:
        with correlation_context("req-3"):
            get_logger("tests.stdlib_mode").info("via_stdlib", ssn="123-45-6789")
            get_logger("tests.stdlib_mode").debug("below_the_stdlib_level")
    finally:
        target.removeHandler(handler)
    [line] = stream.getvalue().splitlines()
    event = json.loads(line)
    assert event["event"] == "via_stdlib"
    assert event["ssn"] == "[REDACTED]"
    assert event["correlation_id"] == "req-3"
    assert event["app"] == "tests"
    assert logging_state()["mode"] == "stdlib"


def test_console_formatter_renders_stdlib_records() -> None:
    record = logging.LogRecord("lib", logging.INFO, __file__, 1, "api_key=%s", ("x",), None)
    record.__dict__["password"] = "p"  # extras are not added: only the message is
    line = ConsoleFormatter().format(record)
    assert "api_key=x" in line
    assert "[lib]" in line


def test_reset_logging_undoes_the_configuration() -> None:
    configure_logging(stream=io.StringIO())
    assert is_configured() is True
    reset_logging()
    assert is_configured() is False
    assert structlog.is_configured() is False
    assert logging_state() == {"mode": None}


def test_without_any_set_up_events_are_redacted_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    reset_logging()
    logger = get_logger("tests.default")
    assert logging_state()["mode"] == "default"
    assert is_configured() is False  # nobody configured: this is netrun's closed default
    logger.info("login", password="hunter2", user="ada")
    logger.debug("below_info")
    out, err = capsys.readouterr()
    assert out == ""
    assert "login" in err
    assert "password=[REDACTED]" in err
    assert "hunter2" not in err
    assert "below_info" not in err


def test_a_structlog_configuration_the_project_made_is_left_in_charge() -> None:
    from netrun.logging._config import owns_structlog
    from netrun.logging.autoconfig import setup_from_settings

    reset_logging()
    events: list[dict[str, object]] = []

    def keep(logger: object, method_name: str, event_dict: dict[str, object]) -> str:
        events.append(dict(event_dict))
        return ""

    structlog.configure(processors=[keep], logger_factory=structlog.ReturnLoggerFactory())
    get_logger("tests.own").info("mine", password="p")
    setup_from_settings()  # what ready() does: still the project's configuration
    get_logger("tests.own").info("still_mine")
    assert owns_structlog() is False
    assert logging_state()["mode"] is None
    assert [event["event"] for event in events] == ["mine", "still_mine"]
    reset_logging()  # the autouse fixture then puts the suite's set-up back
