"""Fixtures of the alert tests: a Celery app on the test's Redis broker, made current so the
alert claims publish to it, and the PostgreSQL alias the worker processes share."""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery, current_app
from django.core.management import call_command
from django.db import connections

from tests.llm.alerts import _processes as race


@pytest.fixture
def celery_app(redis_url: str) -> Iterator[Celery]:
    previous = current_app._get_current_object()
    app = Celery("netrun_llm_alert_tests", broker=redis_url, set_as_current=True)
    app.conf.update(
        worker_hijack_root_logger=False,
        task_always_eager=False,
        task_ignore_result=True,
        broker_connection_retry_on_startup=False,
    )
    import netrun.llm.celery  # noqa: F401 - binds the shared tasks to every app

    try:
        yield app
    finally:
        previous.set_current()


@pytest.fixture
def alerts_pg(postgres_dsn: str, django_db_blocker: Any) -> Iterator[str]:
    """The alias :data:`race.ALIAS` on a fresh PostgreSQL database, migrated; DB unblocked."""
    with django_db_blocker.unblock():
        connections.settings[race.ALIAS] = race.database(postgres_dsn)
        try:
            call_command("migrate", "netrun_llm", database=race.ALIAS, verbosity=0)
            yield postgres_dsn
        finally:
            connection = connections[race.ALIAS]
            connection.close()
            connection.close_pool()
            del connections[race.ALIAS]
            del connections.settings[race.ALIAS]


def race_processes(
    dsn: str, broker: str, webhook: str, secret: str, processes: int, callers: int
) -> list[list[int]]:
    """Start ``processes`` spawned processes of ``callers // processes`` callers together."""
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(processes)
    try:
        with context.Manager() as manager:
            barrier = manager.Barrier(processes)
            main = functools.partial(race.process_main, dsn, broker, webhook, secret)
            results = pool.starmap(main, [(callers // processes, barrier)] * processes)
        # Workers leave on their own (Pool.__exit__ would SIGTERM them mid-queue).
        pool.close()
        pool.join()
    except BaseException:
        pool.terminate()
        raise
    return results
