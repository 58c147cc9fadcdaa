from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import MaxRetriesExceededError, Retry

from netrun.ratelimit import MemoryBackend, RateLimited, RateLimiter
from netrun.ratelimit.celery import rate_limited
from tests.ratelimit.conftest import FakeClock


@pytest.fixture
def app() -> Iterator[Celery]:
    app = Celery("ratelimit-tests", set_as_current=False)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.close()


def test_a_bound_task_runs_while_admitted_then_retries(app: Celery, clock: FakeClock) -> None:
    limiter = RateLimiter("2/m", MemoryBackend(clock=clock))
    calls: list[int] = []

    @app.task(bind=True, max_retries=0)
    @rate_limited(limiter, key="service")
    def call_service(self: Any, value: int) -> int:
        calls.append(value)
        return value

    assert call_service.delay(1).get() == 1
    assert call_service.delay(2).get() == 2
    # Eager mode retries at once (no countdown); with max_retries=0 that surfaces the refusal.
    with pytest.raises((MaxRetriesExceededError, RateLimited)):
        call_service.delay(3).get()
    assert calls == [1, 2]


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
