from __future__ import annotations

import asyncio

import pytest

from netrun.errors import RateLimitExceededError, render_error
from netrun.logging.testing import capture_logs
from netrun.ratelimit import (
    Backend,
    BackendUnavailableError,
    Decision,
    MemoryBackend,
    RateLimited,
    RateLimiter,
)
from tests.ratelimit.conftest import FakeClock


class DownBackend(Backend):
    """A backend whose store is always unreachable."""

    def hit(self, key: str, limit: int, period: float, cost: int) -> Decision:
        raise BackendUnavailableError("connection refused")

    def reset(self, key: str) -> None:
        raise BackendUnavailableError("connection refused")


@pytest.mark.parametrize("cost", [-1, 1.5, True, "2"])
def test_cost_must_be_a_non_negative_integer(cost: object) -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        RateLimiter("5/m").hit("k", cost=cost)  # type: ignore[arg-type]


def test_a_cost_above_the_limit_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="can never be admitted"):
        RateLimiter("5/m").hit("k", cost=6)


def test_check_raises_rate_limited_a_429_with_retry_after(clock: FakeClock) -> None:
    limiter = RateLimiter("1/m", MemoryBackend(clock=clock))
    assert limiter.check("k").allowed
    with pytest.raises(RateLimited) as info:
        limiter.check("k")
    error = info.value
    assert isinstance(error, RateLimitExceededError)
    assert error.status_code == 429
    assert error.error_code == "RATE_LIMIT_EXCEEDED"
    assert error.retry_after == 60
    assert error.headers() == {
        "RateLimit-Limit": "1",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "60",
        "Retry-After": "60",
    }
    status, headers, body = render_error(error)
    assert status == 429
    assert headers["Retry-After"] == "60"
    assert body["error"]["details"] == {"retry_after": 60, "limit": 1}


def test_acheck_raises_too(clock: FakeClock) -> None:
    limiter = RateLimiter("1/m", MemoryBackend(clock=clock))

    async def run() -> None:
        await limiter.acheck("k")
        await limiter.acheck("k")

    with pytest.raises(RateLimited):
        asyncio.run(run())


def test_rate_limited_without_a_decision_has_only_retry_after() -> None:
    assert RateLimited().headers() == {}
    assert RateLimited(retry_after=2.1).headers() == {"Retry-After": "3"}


def test_unreachable_backend_fails_open_by_default() -> None:
    limiter = RateLimiter("5/m", DownBackend())
    decision = limiter.hit("k")
    assert decision.allowed
    assert decision.degraded
    assert decision.remaining == 5


def test_unreachable_backend_fails_closed_when_asked() -> None:
    limiter = RateLimiter("5/m", DownBackend(), fail_open=False)
    decision = limiter.hit("k")
    assert not decision.allowed
    assert decision.degraded
    assert decision.headers()["Retry-After"] == "1"


def test_backend_errors_are_logged_once_per_interval_and_counted() -> None:
    backend = DownBackend()
    limiter = RateLimiter("5/m", backend, error_log_interval=3600)
    other = RateLimiter("9/m", backend, error_log_interval=3600)
    with capture_logs() as logs:
        for _ in range(5):
            limiter.hit("k")
        asyncio.run(other.ahit("k"))
    errors = [entry for entry in logs if entry["event"] == "ratelimit_backend_unavailable"]
    assert len(errors) == 1
    assert errors[0]["log_level"] == "error"
    assert errors[0]["result"] == "fail_open"
    assert backend.failures == 6


def test_after_the_interval_the_next_line_counts_the_failures_in_between() -> None:
    backend = DownBackend()
    limiter = RateLimiter("5/m", backend, error_log_interval=0)
    with capture_logs() as logs:
        limiter.hit("k")
        limiter.hit("k")
    counts = [e["failures"] for e in logs if e["event"] == "ratelimit_backend_unavailable"]
    assert counts == [1, 1]


def test_reset_reaches_the_backend() -> None:
    with pytest.raises(BackendUnavailableError):
        RateLimiter("5/m", DownBackend()).reset("k")


def test_limiter_exposes_its_rate() -> None:
    limiter = RateLimiter("5/m")
    assert (limiter.limit, limiter.period) == (5, 60.0)
    assert repr(limiter) == "RateLimiter('5/60s', MemoryBackend)"
