"""The exception a denied hit raises; a :class:`netrun.errors.RateLimitExceededError`.

::

    RateLimitExceededError      429  RATE_LIMIT_EXCEEDED   (netrun.errors)
    └── RateLimited             429  RATE_LIMIT_EXCEEDED   carries the Decision

Framework-neutral: no Django import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netrun.errors import RateLimitExceededError
from netrun.ratelimit._decision import Decision

__all__ = ["RateLimited"]


class RateLimited(RateLimitExceededError):
    """A rate limit refused a hit; ``decision`` says when to retry.

    It keeps its parent's ``error_code``, so clients see one code for every rate limit. The
    glue adds ``decision.headers()`` (``RateLimit-*``) to the 429 it renders.
    """

    decision: Decision | None

    def __init__(
        self,
        message: str | None = None,
        details: Mapping[str, Any] | None = None,
        *,
        decision: Decision | None = None,
        retry_after: float | None = None,
        correlation_id: str | None = None,
        **extra: Any,
    ) -> None:
        self.decision = decision
        if decision is not None:
            retry_after = decision.retry_after if retry_after is None else retry_after
            extra.setdefault("limit", decision.limit)
        super().__init__(
            message, details, retry_after=retry_after, correlation_id=correlation_id, **extra
        )

    def headers(self) -> dict[str, str]:
        """The ``RateLimit-*`` and ``Retry-After`` headers of the 429 response."""
        if self.decision is not None:
            return self.decision.headers()
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}

    def response_headers(self) -> dict[str, str]:
        # Every netrun.errors renderer (DRF, Django, FastAPI) adds these to the 429.
        return self.headers()
