"""The Celery guard: a real worker on the real Redis, and the decorator's own decisions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.exceptions import Retry
from celery.signals import before_task_publish, task_retry

from netrun.ratelimit import MemoryBackend, RateLimited, RateLimiter, RedisBackend
from netrun.ratelimit.celery import rate_limited
from tests.ratelimit.conftest import FakeClock


@pytest.fixture
def app(redis_url: str) -> Iterator[Celery]:
    """A Celery app on the real Redis (a database of the test's own) as broker and backend."""
    app = Celery("ratelimit-tests", broker=redis_url, backend=redis_url, set_as_current=False)
    app.conf.update(
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=False,
        result_expires=60,
    )
    yield app
    app.close()


def test_a_real_worker_runs_admitted_tasks_and_defers_the_refused_one(
    app: Celery, redis_url: str
) -> None:
    """Two tasks run; the third is retried by the worker with the limiter's countdown, and the
    service is called exactly twice."""
    limiter = RateLimiter("2/m", RedisBackend(redis_url, prefix="celery-test:"))
    calls: list[int] = []
    retried: list[BaseException] = []
    published_etas: list[str] = []

    @app.task(bind=True, name="tests.ratelimit.call_service", max_retries=None)
    @rate_limited(limiter, key="service", jitter=0)
    def call_service(self: Any, value: int) -> int:
        calls.append(value)
        return value

    def on_retry(sender: Any = None, reason: BaseException | None = None, **_: Any) -> None:
        if reason is not None:
            retried.append(reason)

    def on_publish(sender: Any = None, headers: dict[str, Any] | None = None, **_: Any) -> None:
        if headers and headers.get("retries"):
            published_etas.append(headers["eta"])

    task_retry.connect(on_retry, weak=False)
    before_task_publish.connect(on_publish, weak=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            assert call_service.delay(1).get(timeout=60) == 1
            assert call_service.delay(2).get(timeout=60) == 2
            refused_at = datetime.now(timezone.utc)
            third = call_service.delay(3)
            for _ in range(600):  # bounded: the worker retries within a few polls
                if third.state == "RETRY":
                    break
                time.sleep(0.05)
            state = third.state
    finally:
        task_retry.disconnect(on_retry)
        before_task_publish.disconnect(on_publish)
    assert state == "RETRY"
    assert calls == [1, 2]
    assert len(retried) == 1
    assert isinstance(retried[0], Retry)
    assert isinstance(retried[0].exc, RateLimited)
    assert len(published_etas) == 1
    countdown = (datetime.fromisoformat(published_etas[0]) - refused_at).total_seconds()
    assert 0 < countdown <= 60  # the window's remainder, not Celery's default 180 s


def test_the_retry_countdown_is_the_limiters_retry_after(clock: FakeClock) -> None:
    limiter = RateLimiter("1/m", MemoryBackend(clock=clock))
    seen: dict[str, Any] = {}

    class FakeTask:
        request = object()

        def retry(self, *, exc: BaseException, countdown: float) -> Retry:
            seen.update(exc=exc, countdown=countdown)
            return Retry()

    @rate_limited(limiter, key=lambda document: f"doc:{document}", jitter=0)
    def work(self: Any, document: int) -> int:
        return document

    assert work(FakeTask(), 7) == 7
    with pytest.raises(Retry):
        work(FakeTask(), 7)
    assert seen["countdown"] == 60.0
    assert isinstance(seen["exc"], RateLimited)
    assert work(FakeTask(), 8) == 8  # another key


def test_unbound_tasks_and_retry_false_raise_rate_limited(clock: FakeClock) -> None:
    limiter = RateLimiter("10/m", MemoryBackend(clock=clock))

    @rate_limited(limiter, key="k", cost=lambda tokens: tokens)
    def plain(tokens: int) -> int:
        return tokens

    assert plain(6) == 6
    with pytest.raises(RateLimited):
        plain(6)

    class FakeTask:
        request = object()

        def retry(self, **kwargs: Any) -> Retry:  # pragma: no cover - must not be called
            raise AssertionError("retry=False must not retry")

    @rate_limited(limiter, key="k", retry=False)
    def bound(self: Any) -> None:
        return None

    limiter.hit("k", cost=4)
    with pytest.raises(RateLimited):
        bound(FakeTask())
