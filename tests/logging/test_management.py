from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from netrun.core.context import correlation_context
from netrun.logging._context import process_correlation_id
from netrun.logging.testing import capture_logs


def test_commands_run_under_the_process_correlation_id() -> None:
    out = io.StringIO()
    with capture_logs() as logs:
        call_command("netrun_logging_check", stdout=out)
    expected = process_correlation_id()
    assert f"correlation_id: {expected}" in out.getvalue()
    assert "mode: stdlib" in out.getvalue()
    [event] = logs
    assert event["correlation_id"] == expected
    assert event["password"] == "[REDACTED]"
    assert event["url_example"] == "postgresql://user:***@localhost/db"


def test_a_scheduler_can_pass_its_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETRUN_CORRELATION_ID", "cron-2024-01-01")
    out = io.StringIO()
    call_command("netrun_logging_check", stdout=out)
    assert "correlation_id: cron-2024-01-01" in out.getvalue()


def test_an_invalid_id_from_the_environment_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETRUN_CORRELATION_ID", "not valid!")
    out = io.StringIO()
    call_command("netrun_logging_check", stdout=out)
    assert f"correlation_id: {process_correlation_id()}" in out.getvalue()


def test_a_command_called_inside_a_context_keeps_it() -> None:
    out = io.StringIO()
    with correlation_context("outer-id"):
        call_command("netrun_logging_check", stdout=out)
    assert "correlation_id: outer-id" in out.getvalue()
