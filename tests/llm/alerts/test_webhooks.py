"""Webhook delivery by a real Celery worker on Redis to a loopback receiver: signed with
HMAC-SHA256, retried after a 5xx or a 429 with the same Idempotency-Key, never after another
4xx; the row records attempts and outcome; a broker that is down leaves the row pending until
the redelivery task; the secret appears in no log line.

On PostgreSQL: the worker thread writes the row while the test polls it, which SQLite's
shared in-memory database refuses at once ("database table is locked")."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError, connections

from netrun.llm.celery import redeliver_pending_budget_alerts, sign
from netrun.llm.models import BudgetAlert
from netrun.llm.policy.alerts_django import django_alert_evaluator
from netrun.llm.policy.ledgers import Period
from netrun.llm.policy.ledgers.base import period_window
from netrun.logging.testing import capture_logs
from tests.llm.alerts import _processes as race
from tests.llm.alerts._receiver import WebhookReceiver

pytestmark = pytest.mark.slow

SECRET = f"whsec-{uuid.uuid4().hex}"


@pytest.fixture
def hooks(settings: Any, alerts_pg: str) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as receiver:
        settings.NETRUN_LLM_BUDGET_ALERT_THRESHOLDS = [50, 80, 100]
        settings.NETRUN_LLM_BUDGET_WEBHOOKS = [receiver.url]
        settings.NETRUN_LLM_BUDGET_WEBHOOK_SECRET = SECRET
        yield receiver


def fire(day: int, spent: int) -> list[str]:
    """Claim what ``spent`` of 1000 reached on December ``day``; the claims' alert ids."""
    now = dt.datetime(2026, 12, day, 12, tzinfo=dt.timezone.utc)
    window = period_window(now, Period.DAY, limit=1000)
    return [
        event.alert_id for event in django_alert_evaluator(race.ALIAS).evaluate("t1", window, spent)
    ]


def settled(alert_id: str, timeout: float = 60) -> BudgetAlert:
    """The row once its delivery ended (delivered or failed)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            row = BudgetAlert.objects.using(race.ALIAS).get(pk=alert_id)
        except OperationalError:  # a test dropped every connection: this one too
            connections[race.ALIAS].close()
            continue
        if row.delivery != BudgetAlert.PENDING or time.monotonic() > deadline:
            return row
        time.sleep(0.05)


def test_a_5xx_or_a_429_is_retried_with_the_same_key_and_another_4xx_is_final(
    hooks: WebhookReceiver, celery_app: Celery, caplog: Any
) -> None:
    with capture_logs() as logs, start_worker(celery_app, pool="solo", perform_ping_check=False):
        hooks.answers[:] = [500]
        (first,) = fire(7, 600)
        first_row = settled(first)
        hooks.answers[:] = [429]
        (second,) = fire(8, 500)
        second_row = settled(second)
        hooks.answers[:] = [404]
        (third,) = fire(9, 500)
        third_row = settled(third)
    received = list(hooks.received)

    assert [(r.idempotency_key, r.status) for r in received] == [
        (first, 500),
        (first, 200),
        (second, 429),
        (second, 200),
        (third, 404),  # not retried
    ]
    assert all(r.signed for r in received)
    assert received[0].payload == received[1].payload  # the retry sends the same alert
    assert received[0].payload["threshold"] == 50
    assert received[0].payload["spent_usd"] == "0.0006"
    assert (first_row.delivery, first_row.attempts) == (BudgetAlert.DELIVERED, 2)
    assert first_row.delivered_at is not None
    assert (second_row.delivery, second_row.attempts) == (BudgetAlert.DELIVERED, 2)
    assert (third_row.delivery, third_row.attempts) == (BudgetAlert.FAILED, 1)
    assert third_row.last_error == "127.0.0.1: 404"
    events = [entry["event"] for entry in logs]
    assert events.count("llm_budget_webhook_retry") == 2
    assert events.count("llm_budget_webhook_refused") == 1
    assert events.count("llm_budget_alert") == 3
    assert SECRET not in repr(logs)
    assert SECRET not in caplog.text


def test_a_broker_down_keeps_the_row_pending_until_the_redelivery_task(
    hooks: WebhookReceiver, celery_app: Celery, redis_url: str
) -> None:
    down = Celery("netrun_llm_alerts_down", broker="redis://127.0.0.1:1/0", set_as_current=True)
    down.conf.update(task_publish_retry=False, broker_connection_timeout=1)
    try:
        with capture_logs() as logs:
            (alert_id,) = fire(10, 500)
    finally:
        celery_app.set_current()
    row = BudgetAlert.objects.using(race.ALIAS).get(pk=alert_id)
    assert (row.delivery, row.attempts) == (BudgetAlert.PENDING, 0)
    failed = [entry for entry in logs if entry["event"] == "llm_budget_alert_enqueue_failed"]
    assert [entry["alert_id"] for entry in failed] == [alert_id]

    # Too recent for the periodic task's default grace, then picked up.
    assert redeliver_pending_budget_alerts(using=race.ALIAS) == 0
    with start_worker(celery_app, pool="solo", perform_ping_check=False):
        assert redeliver_pending_budget_alerts(older_than=0, using=race.ALIAS) == 1
        row = settled(alert_id)
    assert (row.delivery, row.attempts) == (BudgetAlert.DELIVERED, 1)
    assert [r.idempotency_key for r in hooks.received] == [alert_id]


def test_a_database_error_after_the_post_is_retried_and_the_row_still_settles(
    hooks: WebhookReceiver, celery_app: Celery, alerts_pg: str
) -> None:
    """PostgreSQL drops the worker's connection while the receiver answers (a restart, a
    failover): the task cannot record the attempt, retries, posts again with the same key and
    records the outcome; nothing is left pending."""
    import psycopg

    killed: list[int] = []

    def drop_the_workers_connection() -> None:
        if killed:
            return
        with psycopg.connect(alerts_pg, autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid), pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        killed.extend(pid for ok, pid in rows if ok)

    hooks.before_answer = drop_the_workers_connection
    with capture_logs() as logs, start_worker(celery_app, pool="solo", perform_ping_check=False):
        (alert_id,) = fire(11, 500)
        row = settled(alert_id)

    assert killed  # the fault happened: the worker's connection was dropped mid-delivery
    assert [(r.idempotency_key, r.status) for r in hooks.received] == [
        (alert_id, 200),
        (alert_id, 200),  # posted again with the same key: the receiver deduplicates
    ]
    assert (row.delivery, row.attempts) == (BudgetAlert.DELIVERED, 1)
    retries = [entry for entry in logs if entry["event"] == "llm_budget_webhook_database_retry"]
    assert [entry["alert_id"] for entry in retries] == [alert_id]
    assert retries[0]["error"].startswith("OperationalError")


def test_a_delivery_stopped_half_way_is_redelivered_once_its_retries_are_over(
    hooks: WebhookReceiver, celery_app: Celery
) -> None:
    """A worker that died mid-delivery (or ran out of retries on database errors) leaves the
    row pending with attempts: the periodic task enqueues it again, but only once the whole
    retry schedule is surely over."""
    down = Celery("netrun_llm_alerts_down", broker="redis://127.0.0.1:1/0", set_as_current=True)
    down.conf.update(task_publish_retry=False, broker_connection_timeout=1)
    try:
        (alert_id,) = fire(12, 500)
    finally:
        celery_app.set_current()
    alerts = BudgetAlert.objects.using(race.ALIAS)
    alerts.filter(pk=alert_id).update(attempts=2)  # what the dead worker had recorded

    assert redeliver_pending_budget_alerts(older_than=0, using=race.ALIAS) == 0  # may be retrying
    with start_worker(celery_app, pool="solo", perform_ping_check=False):
        assert (
            redeliver_pending_budget_alerts(older_than=0, attempted_older_than=0, using=race.ALIAS)
            == 1
        )
        row = settled(alert_id)
    assert (row.delivery, row.attempts) == (BudgetAlert.DELIVERED, 3)
    assert [r.idempotency_key for r in hooks.received] == [alert_id]


def test_the_signature_is_the_hmac_of_the_body() -> None:
    # The documented recipe a receiver uses, on a known vector (RFC 4231 test case 2).
    assert sign(b"what do ya want for nothing?", "Jefe") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
