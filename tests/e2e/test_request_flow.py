"""One correlation ID from the HTTP header to the logs, a real Celery worker and the error body.

The request goes through the real middleware stack of ``tests.settings`` (correlation first,
the error envelope middleware last) to a DRF view using Netrun's exception handler. The view
logs, runs a task on a real Celery worker over the real Redis broker, and raises a
``ConflictError``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.test import Client

from netrun.core.context import current_correlation_id, current_tenant_id
from netrun.logging import get_logger
from netrun.logging.celery import connect_signals, disconnect_signals
from tests.e2e import urls
from tests.logging.conftest import JsonStream

CORRELATION_ID = "e2e-flow-4f1c2a"
task_logger = get_logger("tests.e2e.tasks")


@pytest.fixture
def logs() -> Iterator[JsonStream]:
    from netrun.logging import configure_logging
    from netrun.logging.autoconfig import setup_from_settings

    stream = JsonStream()
    configure_logging(app_name="e2e", environment="test", log_level="INFO", stream=stream)
    # The worker thread logs to the same stream through the same processors.
    connect_signals(configure_worker_logging=True, stream=stream, log_level="INFO")
    try:
        yield stream
    finally:
        disconnect_signals()
        connect_signals()
        setup_from_settings()


@pytest.fixture
def celery_app(redis_url: str) -> Iterator[Celery]:
    app = Celery("netrun_e2e", broker=redis_url, backend=redis_url, set_as_current=False)
    app.conf.update(
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=False,
        result_expires=60,
    )

    @app.task(name="tests.e2e.notify_oncall")
    def notify_oncall(ticket_id: int) -> dict[str, str | None]:
        task_logger.info("oncall_paged", ticket_id=ticket_id)
        return {"correlation_id": current_correlation_id(), "tenant_id": current_tenant_id()}

    urls.CELERY["app"] = app
    try:
        yield app
    finally:
        urls.CELERY.clear()


@pytest.mark.urls("tests.e2e.urls")
def test_one_correlation_id_from_header_to_logs_worker_and_error_body(
    client: Client, celery_app: Celery, logs: JsonStream
) -> None:
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="INFO"):
        response = client.post(
            "/tickets/7/escalate/",
            HTTP_X_CORRELATION_ID=CORRELATION_ID,
            HTTP_ACCEPT="application/json",
        )

    # The error body and the response header.
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "CONFLICT"
    assert error["correlation_id"] == CORRELATION_ID
    assert response["X-Correlation-ID"] == CORRELATION_ID
    # The task on the worker ran under the request's correlation ID.
    assert error["details"]["task_saw"]["correlation_id"] == CORRELATION_ID

    # Every log line of the request, in the web process and on the worker, carries it.
    # (The worker's own consumer lines, such as "task received", belong to no request.)
    events = logs.events()
    request_names = {
        "request_started",
        "ticket_escalating",
        "oncall_paged",
        "oncall_notified",
        "exception_raised",
        "request_finished",
    }
    request_events = [e for e in events if e["event"] in request_names]
    assert {e["event"] for e in request_events} == request_names
    for event in request_events:
        assert event["correlation_id"] == CORRELATION_ID, event
    finished = next(e for e in events if e["event"] == "request_finished")
    assert finished["status"] == 409
    assert current_correlation_id() is None
