"""The framework-neutral limiter: ``hit(key, cost=1) -> Decision``.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from netrun.logging import get_logger
from netrun.ratelimit._decision import Decision
from netrun.ratelimit._rate import Rate, parse_rate
from netrun.ratelimit.backends.base import Backend, BackendUnavailableError
from netrun.ratelimit.backends.memory import MemoryBackend
from netrun.ratelimit.exceptions import RateLimited

__all__ = ["RateLimiter"]

logger = get_logger(__name__)

# Retry-After for a request refused because the store is down: soon, but not a hot loop.
_FAIL_CLOSED_RETRY_AFTER = 1.0


class RateLimiter:
    """One rate (``"100/m"``) applied per key on a shared backend.

    ``hit`` consumes ``cost`` units (1 per request, or tokens for a TPM limit) and answers with
    a :class:`Decision`; it never raises for a denial. ``check`` raises :class:`RateLimited`
    instead. When the backend is unreachable the limiter admits (``fail_open=True``) or
    refuses every hit, logs ``ratelimit_backend_unavailable`` at most once per
    ``error_log_interval`` seconds with the count of failures since the last line, and counts
    them in ``backend.failures``; it never raises the backend's error.

    Limiters are cheap: create one per rate and share one backend between them. ``prefix``
    separates limiters that could otherwise share keys (RPM and TPM of one tenant).
    """

    def __init__(
        self,
        rate: str | Rate,
        backend: Backend | None = None,
        *,
        prefix: str = "",
        fail_open: bool = True,
        error_log_interval: float = 60.0,
    ) -> None:
        self.rate = parse_rate(rate)
        self.backend = backend if backend is not None else MemoryBackend()
        self.prefix = prefix
        self.fail_open = fail_open
        self.error_log_interval = error_log_interval

    def __repr__(self) -> str:
        return f"RateLimiter({str(self.rate)!r}, {type(self.backend).__name__})"

    @property
    def limit(self) -> int:
        return self.rate.limit

    @property
    def period(self) -> float:
        return self.rate.period

    def _cost(self, cost: int) -> int:
        if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
            raise ValueError(f"cost must be a non-negative integer, not {cost!r}")
        if cost > self.rate.limit:
            # It could never be admitted: waiting would not help, so say so at once.
            raise ValueError(
                f"cost {cost} exceeds the limit of {self.rate} and can never be admitted"
            )
        return cost

    def hit(self, key: str, cost: int = 1) -> Decision:
        """Consume ``cost`` units for ``key`` if they fit in the window; ``cost=0`` only peeks."""
        cost = self._cost(cost)
        try:
            return self.backend.hit(self.prefix + key, self.rate.limit, self.rate.period, cost)
        except BackendUnavailableError as error:
            return self._degraded(error)

    async def ahit(self, key: str, cost: int = 1) -> Decision:
        """:meth:`hit` for async code (non-blocking with the Redis backend)."""
        cost = self._cost(cost)
        try:
            return await self.backend.ahit(
                self.prefix + key, self.rate.limit, self.rate.period, cost
            )
        except BackendUnavailableError as error:
            return self._degraded(error)

    def check(self, key: str, cost: int = 1) -> Decision:
        """:meth:`hit`, raising :class:`RateLimited` (a 429) when the hit is denied."""
        decision = self.hit(key, cost)
        if not decision.allowed:
            raise RateLimited(decision=decision)
        return decision

    async def acheck(self, key: str, cost: int = 1) -> Decision:
        decision = await self.ahit(key, cost)
        if not decision.allowed:
            raise RateLimited(decision=decision)
        return decision

    def reset(self, key: str) -> None:
        """Forget ``key``'s hits (an admin unblocking a client)."""
        self.backend.reset(self.prefix + key)

    def _degraded(self, error: BackendUnavailableError) -> Decision:
        unlogged = self.backend.record_failure(self.error_log_interval)
        if unlogged is not None:
            logger.error(
                "ratelimit_backend_unavailable",
                operation="ratelimit_hit",
                result="fail_open" if self.fail_open else "fail_closed",
                backend=type(self.backend).__name__,
                failures=unlogged,
                failures_total=self.backend.failures,
                error=str(error),
            )
        limit = self.rate.limit
        if self.fail_open:
            return Decision(True, limit, limit, 0.0, 0.0, degraded=True)
        return Decision(False, limit, 0, _FAIL_CLOSED_RETRY_AFTER, _FAIL_CLOSED_RETRY_AFTER, True)
