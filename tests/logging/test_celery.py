"""Context propagation into Celery tasks, proven with a real worker and a real Redis broker."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.utils.log import get_task_logger

from netrun.core.context import (
    correlation_context,
    current_correlation_id,
    current_tenant_id,
    tenant_context,
    user_context,
)
from netrun.logging import get_logger
from netrun.logging.celery import HEADER, connect_signals, disconnect_signals, install
from tests.logging.conftest import JsonStream

logger = get_logger(__name__)
stdlib_task_logger = get_task_logger(__name__)


@pytest.fixture
def worker_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[JsonStream]:
    from celery.app.log import Logging

    # Celery sets its logging up once per process; a worker started by an earlier test in this
    # process would otherwise keep this test's setup_logging receiver from ever running.
    monkeypatch.setattr(Logging, "_setup", False)
    # ... and that set-up left Celery's task logger with its own handler and level, not
    # propagating.
    task_logger = logging.getLogger("celery.task")
    monkeypatch.setattr(task_logger, "propagate", True)
    monkeypatch.setattr(task_logger, "handlers", [])
    monkeypatch.setattr(task_logger, "level", logging.NOTSET)
    logging.Logger.manager._clear_cache()  # loggers cache their effective level
    stream = JsonStream()
    # The worker's logging is set up by netrun (setup_logging receiver), to this stream.
    connect_signals(configure_worker_logging=True, stream=stream, log_level="INFO")
    try:
        yield stream
    finally:
        disconnect_signals()
        connect_signals()  # back to what ready() connected
        logging.Logger.manager._clear_cache()


@pytest.fixture
def celery_app(redis_url: str) -> Celery:
    app = Celery("netrun_logging_tests", broker=redis_url, backend=redis_url, set_as_current=False)
    app.conf.update(
        worker_hijack_root_logger=False,
        task_always_eager=False,
        broker_connection_retry_on_startup=False,
        result_expires=60,
    )

    @app.task(name="tests.logging.report_context")
    def report_context(label: str) -> dict[str, Any]:
        logger.info("task_ran", label=label)
        stdlib_task_logger.info("stdlib_task_event label=%s", label)
        return {"correlation_id": current_correlation_id(), "tenant_id": current_tenant_id()}

    return app


def test_a_real_worker_logs_with_the_publishers_context_and_never_a_previous_tasks(
    celery_app: Celery, worker_logs: JsonStream
) -> None:
    task = celery_app.tasks["tests.logging.report_context"]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="INFO"):
        with correlation_context("abc123def456"), tenant_context("acme"), user_context("u-1"):
            first = task.delay("first").get(timeout=20)
        second = task.delay("second").get(timeout=20)

    assert first == {"correlation_id": "abc123def456", "tenant_id": "acme"}
    assert second["tenant_id"] is None
    assert second["correlation_id"] not in (None, "abc123def456")

    by_label = {event["label"]: event for event in worker_logs.named("task_ran")}
    assert by_label["first"]["correlation_id"] == "abc123def456"
    assert by_label["first"]["tenant_id"] == "acme"
    assert by_label["first"]["user_id"] == "u-1"
    assert by_label["first"]["task_name"] == "tests.logging.report_context"
    assert by_label["first"]["task_id"]
    assert by_label["second"]["correlation_id"] == second["correlation_id"]
    assert "tenant_id" not in by_label["second"]
    assert "user_id" not in by_label["second"]

    # Celery's own (stdlib) task logger goes through the same processors and context.
    stdlib_events = {
        event["event"]: event
        for event in worker_logs.events()
        if event["event"].startswith("stdlib_task_event")
    }
    assert stdlib_events["stdlib_task_event label=first"]["correlation_id"] == "abc123def456"
    assert stdlib_events["stdlib_task_event label=first"]["tenant_id"] == "acme"
    assert "tenant_id" not in stdlib_events["stdlib_task_event label=second"]
    assert current_correlation_id() is None


def test_publishing_puts_the_captured_context_in_the_headers() -> None:
    from netrun.logging.celery import _before_task_publish

    install()
    headers: dict[str, Any] = {}
    _before_task_publish(headers=headers)
    assert HEADER not in headers
    with correlation_context("cid"), tenant_context("t"):
        _before_task_publish(headers=headers)
    assert headers[HEADER] == {"correlation_id": "cid", "tenant_id": "t"}


def test_eager_tasks_keep_the_callers_context() -> None:
    app = Celery("netrun_logging_eager", set_as_current=False)
    app.conf.task_always_eager = True

    @app.task
    def whoami() -> Any:
        return current_correlation_id(), current_tenant_id()

    with correlation_context("eager-cid"), tenant_context("acme"):
        assert whoami.delay().get() == ("eager-cid", "acme")
    assert current_correlation_id() is None
