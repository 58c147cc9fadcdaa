"""How long to wait before retrying a provider: full jitter, honouring ``Retry-After``.

Without a hint from the provider the wait is *full jitter* (AWS Architecture Blog,
"Exponential Backoff And Jitter"; tenacity's ``wait_random_exponential``)::

    wait = uniform(0, min(cap, base * 2 ** (attempt - 1)))

so that the clients a provider's outage failed at the same instant do not come back at the
same instant. A ``Retry-After`` / ``retry-after-ms`` the provider sent (already parsed by the
adapter, :func:`netrun.llm.adapters.errors.retry_after_of`) is the server saying when it can
take the request: it is honoured as it is, like the official SDKs do, unless it is longer than
``max_wait``, in which case the wait is better spent on the next provider (``None``).

The random source is injectable, so tests pin the draw instead of asserting on a clock.
Framework-neutral: no Django import.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Backoff", "RetryPlan"]

#: Why an attempt is retried after its wait: the provider's hint, or our own backoff.
RetryReason = Literal["retry_after", "backoff"]


@dataclass(frozen=True)
class RetryPlan:
    """A decision to retry: wait ``seconds`` for ``reason``."""

    seconds: float
    reason: RetryReason


@dataclass
class Backoff:
    """Full-jitter exponential backoff, capped, that defers to the provider's ``Retry-After``.

    ``base`` is the ceiling of the first wait, doubled at each attempt up to ``cap``;
    ``max_wait`` is the longest ``Retry-After`` worth sleeping through.
    """

    base: float = 0.5
    cap: float = 8.0
    max_wait: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0 or self.max_wait < 0:
            raise ValueError("backoff durations must be >= 0")

    def ceiling(self, attempt: int) -> float:
        """The longest backoff after failed attempt number ``attempt`` (from 1)."""
        # min() before the power would overflow a float for attempt numbers past ~1000.
        exponent = min(max(attempt - 1, 0), 62)
        return float(min(self.cap, self.base * 2**exponent))

    def plan(self, attempt: int, retry_after: float | None) -> RetryPlan | None:
        """The wait before attempt ``attempt + 1``, or ``None`` to move on at once."""
        if retry_after is not None:
            if retry_after > self.max_wait:
                return None
            return RetryPlan(retry_after, "retry_after")
        return RetryPlan(self.rng.uniform(0.0, self.ceiling(attempt)), "backoff")
