"""Once-only alerts under several processes: worker processes settle one tenant's day budget
at once on PostgreSQL, past 50, 80 and 100 %; each threshold gets exactly one alert row and
one signal in all, and a real Celery worker delivers exactly one signed webhook for each."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.test import override_settings

from netrun.llm.models import BudgetAlert
from netrun.llm.policy.ledgers import windows_for
from netrun.llm.policy.ledgers.django import DjangoLedger
from netrun.logging.testing import capture_logs
from tests.llm.alerts import _processes as race
from tests.llm.alerts._receiver import WebhookReceiver
from tests.llm.alerts.conftest import race_processes

pytestmark = pytest.mark.slow

PROCESSES = 4
CALLERS = 100


def wait_delivered(expected: int, timeout: float = 60) -> list[BudgetAlert]:
    deadline = time.monotonic() + timeout
    while True:
        rows = list(BudgetAlert.objects.using(race.ALIAS).order_by("threshold"))
        done = [row for row in rows if row.delivery == BudgetAlert.DELIVERED]
        if len(done) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def test_several_processes_fire_each_threshold_once_and_a_real_worker_delivers_each_once(
    alerts_pg: str, redis_url: str, celery_app: Celery, caplog: Any
) -> None:
    secret = f"whsec-{uuid.uuid4().hex}"
    with WebhookReceiver(secret) as hooks:
        signalled = race_processes(alerts_pg, redis_url, hooks.url, secret, PROCESSES, CALLERS)

        # The budget admitted exactly its 40 calls; every threshold was passed.
        day = windows_for(dt.datetime.now(dt.timezone.utc), daily_limit=None, monthly_limit=None)
        spent = DjangoLedger(race.ALIAS).usage(race.TENANT, day[0]).spent
        assert spent == race.CALLS * race.COST_MICROS

        # One signal per threshold in all, from whichever process claimed it.
        assert Counter(threshold for sent in signalled for threshold in sent) == {
            50: 1,
            80: 1,
            100: 1,
        }
        rows = list(BudgetAlert.objects.using(race.ALIAS).order_by("threshold"))
        assert [(row.threshold, row.scope, row.period) for row in rows] == [
            (50, "tenant", "day"),
            (80, "tenant", "day"),
            (100, "tenant", "day"),
        ]
        assert {row.delivery for row in rows} <= {BudgetAlert.PENDING, BudgetAlert.DELIVERED}
        # Claimed on settled spend: at least the threshold's share when it fired.
        for row in rows:
            assert row.spent_micros * 100 >= row.threshold * row.limit_micros

        with (
            override_settings(
                NETRUN_LLM_BUDGET_WEBHOOKS=[hooks.url], NETRUN_LLM_BUDGET_WEBHOOK_SECRET=secret
            ),
            capture_logs() as logs,
            start_worker(celery_app, pool="solo", perform_ping_check=False),
        ):
            hooks.wait_for(3)
            rows = wait_delivered(3)
        received = list(hooks.received)

    assert [row.delivery for row in rows] == [BudgetAlert.DELIVERED] * 3
    assert [row.attempts for row in rows] == [1, 1, 1]
    assert len(received) == 3  # exactly one request per alert, no duplicate
    assert sorted(r.idempotency_key for r in received) == sorted(str(row.pk) for row in rows)
    assert all(r.signed and r.timestamp.isdigit() and r.status == 200 for r in received)
    assert sorted(r.payload["threshold"] for r in received) == [50, 80, 100]
    assert {r.payload["tenant_id"] for r in received} == {race.TENANT}
    delivered = [entry for entry in logs if entry["event"] == "llm_budget_webhook_delivered"]
    assert len(delivered) == 3
    assert secret not in repr(logs)
    assert secret not in caplog.text
