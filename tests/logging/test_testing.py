from __future__ import annotations

import io

import structlog

from netrun.core.context import correlation_context
from netrun.logging import configure_logging, get_logger
from netrun.logging.testing import capture_logs


def test_captured_events_have_context_and_redaction() -> None:
    with capture_logs() as logs, correlation_context("cid"):
        get_logger("tests.testing").debug("captured", api_key="k", url="redis://:pw@host:6379/0")
    assert logs == [
        {
            "event": "captured",
            "api_key": "[REDACTED]",
            "url": "redis://:***@host:6379/0",
            "correlation_id": "cid",
            "logger": "tests.testing",
            "log_level": "debug",
        }
    ]


def test_capture_sees_loggers_cached_before_it_and_restores_the_configuration() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)
    logger = get_logger("tests.testing")
    logger.info("before")
    processors = structlog.get_config()["processors"]
    with capture_logs() as logs:
        logger.info("during")
    logger.info("after")
    assert [e["event"] for e in logs] == ["during"]
    assert "before" in stream.getvalue()
    assert "after" in stream.getvalue()
    assert "during" not in stream.getvalue()
    assert structlog.get_config()["processors"] is processors


def test_custom_processors_replace_the_default_chain() -> None:
    with capture_logs(processors=[]) as logs, correlation_context("cid"):
        get_logger("tests.testing").info("raw", password="p")
    assert logs == [{"event": "raw", "password": "p", "log_level": "info"}]


def test_exception_info_is_formatted() -> None:
    with capture_logs() as logs:
        try:
            raise KeyError("missing")
        except KeyError:
            get_logger("tests.testing").exception("failed")
    assert "KeyError" in logs[0]["exception"]
    assert "exc_info" not in logs[0]
