"""Worker processes settling against one tenant budget at once, on PostgreSQL through the
Django ORM, each with the Django alert claims installed. Importable by spawned processes."""

from __future__ import annotations

import os
import threading
import time
from typing import Any
from urllib.parse import urlsplit

TENANT = "alert-race"
ALIAS = "alerts_race"
# gpt-4o-mini at list price, 1000 tokens in and out: $0.00075 a call; a day budget for 40.
COST_MICROS = 750
CALLS = 40
BUDGET_USD = f"{COST_MICROS * CALLS / 1_000_000:.6f}"
THRESHOLDS = "[50, 80, 100]"
#: Connections of one process's pool (PostgreSQL is shared with other test runs).
POOL_SIZE = 3


class Usage:
    input_tokens = 1000
    output_tokens = 1000


def database(dsn: str) -> dict[str, Any]:
    parts = urlsplit(dsn)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {"pool": {"min_size": 1, "max_size": POOL_SIZE, "timeout": 120}},
        "TIME_ZONE": None,
        "TEST": {"NAME": None, "CHARSET": None, "COLLATION": None, "MIGRATE": True, "MIRROR": None},
    }


def process_main(
    dsn: str, broker: str, webhook: str, secret: str, threads: int, barrier: Any
) -> list[int]:
    """Race ``threads`` callers in this process; return the thresholds whose signal it sent."""
    # Settings from the environment, read when Django sets the app up.
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["LLM_BUDGET_ALERT_THRESHOLDS"] = THRESHOLDS
    os.environ["LLM_BUDGET_WEBHOOKS"] = f'["{webhook}"]'
    os.environ["LLM_BUDGET_WEBHOOK_SECRET"] = secret
    import django

    django.setup()
    from celery import Celery
    from django.db import connections

    from netrun.errors import BudgetExceededError
    from netrun.llm.policy import PolicyEnforcer, TenantPolicy
    from netrun.llm.policy.alerts_django import install_alerts, uninstall_alerts
    from netrun.llm.policy.ledgers.django import DjangoLedger
    from netrun.llm.signals import budget_threshold_crossed

    connections.settings[ALIAS] = database(dsn)
    # The webhook task is published to the test's broker (the current app's).
    Celery("netrun_alert_publisher", broker=broker, set_as_current=True)
    import netrun.llm.celery  # noqa: F401 - the task, on the current app

    uninstall_alerts()
    install_alerts(ALIAS)
    signalled: list[int] = []
    lock = threading.Lock()

    def heard(sender: Any, event: Any, **kwargs: Any) -> None:
        with lock:
            signalled.append(event.threshold)

    budget_threshold_crossed.connect(heard, weak=False)
    policy = TenantPolicy(tenant_id=TENANT, daily_budget_usd=BUDGET_USD)
    enforcer = PolicyEnforcer(policy, ledger=DjangoLedger(ALIAS))
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def call() -> None:
        start.wait()
        try:
            reservation = enforcer.reserve(
                provider="openai",
                model="gpt-4o-mini",
                estimated_input_tokens=1000,
                max_output_tokens=1000,
                reason="alert race",
            )
            time.sleep(0.005)  # the "call": settlements of every process interleave
            reservation.settle(Usage())
        except BudgetExceededError:
            pass
        except BaseException as error:
            errors.append(error)
        finally:
            connections[ALIAS].close()  # back to the pool

    workers = [threading.Thread(target=call) for _ in range(threads)]
    barrier.wait()  # every process is ready: release them all at once
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    connections[ALIAS].close_pool()
    if errors:
        raise RuntimeError(f"{len(errors)} callers failed; first: {errors[0]!r}")
    return signalled
