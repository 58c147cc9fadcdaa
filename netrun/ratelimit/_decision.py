"""The answer to one hit: allowed or not, and what a client needs to back off.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Decision"]


@dataclass(frozen=True, slots=True)
class Decision:
    """The result of :meth:`RateLimiter.hit`.

    * ``limit``: units allowed per window.
    * ``remaining``: units still available in the window after this hit.
    * ``reset_after``: seconds until the whole limit is available again.
    * ``retry_after``: seconds until this same hit would be allowed (0 when it was).
    * ``degraded``: the backend was unreachable and the limiter failed open or closed.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_after: float
    retry_after: float
    degraded: bool = False

    def headers(self) -> dict[str, str]:
        """``RateLimit-Limit`` / ``-Remaining`` / ``-Reset``, and ``Retry-After`` when denied.

        Seconds are rounded up: a client that waits the rounded-down value would be refused.
        """
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(0, self.remaining)),
            "RateLimit-Reset": str(max(0, math.ceil(self.reset_after))),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return headers
