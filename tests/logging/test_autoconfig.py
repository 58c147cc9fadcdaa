from __future__ import annotations

import logging

from celery import signals
from django.test import override_settings

from netrun.logging._config import logging_state
from netrun.logging._context import process_correlation_id
from netrun.logging.celery import _task_prerun


def test_by_default_logging_stays_with_django_and_structlog_goes_through_stdlib() -> None:
    assert logging_state()["mode"] == "stdlib"
    assert process_correlation_id() is not None
    assert any(receiver is _task_prerun for _, receiver in signals.task_prerun.receivers)


def test_netrun_logging_configure_makes_netrun_own_the_output() -> None:
    with override_settings(
        NETRUN_LOGGING_CONFIGURE=True,
        NETRUN_LOGGING_APP_NAME="helpdesk",
        NETRUN_LOGGING_ENVIRONMENT="staging",
        NETRUN_LOGGING_JSON=False,
        NETRUN_LOGGING_LEVEL="warning",
        NETRUN_LOGGING_SENSITIVE_KEYS=["ssn"],
    ):
        state = logging_state()
        assert state["mode"] == "netrun"
        assert state["app_name"] == "helpdesk"
        assert state["environment"] == "staging"
        assert state["enable_json"] is False
        assert state["log_level"] == logging.WARNING
    assert logging_state()["mode"] == "stdlib"


def test_a_bad_level_leaves_logging_as_it_was() -> None:
    with override_settings(NETRUN_LOGGING_CONFIGURE=True, NETRUN_LOGGING_LEVEL="LOUD"):
        assert logging_state()["mode"] == "stdlib"


def test_the_process_correlation_id_can_be_turned_off() -> None:
    with override_settings(NETRUN_LOGGING_PROCESS_CORRELATION_ID=False):
        assert process_correlation_id() is None
    assert process_correlation_id() is not None


def test_unrelated_settings_changes_are_ignored() -> None:
    before = process_correlation_id()
    with override_settings(SOME_OTHER_SETTING=1):
        assert process_correlation_id() == before
