"""Sampled logging of CORS decisions: a flood of requests must not become a flood of lines.

Events are grouped by ``(event, reason)`` (a small, fixed set: origins are attacker-chosen
and would make the table grow without bound). In each ``interval`` the first ``burst``
events of a group are logged; the rest are counted and the next logged event of the group
carries ``suppressed=<count>``, so nothing is lost from the totals.

Framework-neutral: standard library and :mod:`netrun.logging` only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netrun.cors.origins import safe_for_log
from netrun.cors.policy import Decision
from netrun.logging import get_logger

__all__ = ["DecisionLogger"]

logger = get_logger("netrun.cors")


@dataclass
class _Window:
    started: float
    logged: int = 0
    suppressed: int = 0


class DecisionLogger:
    """Logs ``cors_decision`` (allowed, info) and ``cors_blocked`` (blocked, warning)."""

    def __init__(
        self,
        *,
        interval: float = 60.0,
        burst: int = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.burst = burst
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()

    def _admit(self, key: tuple[str, str]) -> int | None:
        """``None`` to drop this event, else how many were suppressed before it."""
        if self.interval <= 0:
            return 0
        now = self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(now)
            elif now - window.started >= self.interval:
                window.started, window.logged = now, 0
            if window.logged >= self.burst:
                window.suppressed += 1
                return None
            window.logged += 1
            suppressed, window.suppressed = window.suppressed, 0
            return suppressed

    def log(self, decision: Decision, raw_origin: str, **fields: Any) -> bool:
        """Log ``decision`` unless sampled out; True when a line was written."""
        event = "cors_decision" if decision.allowed else "cors_blocked"
        suppressed = self._admit((event, decision.reason))
        if suppressed is None:
            return False
        values: dict[str, Any] = {
            "operation": "cors_validation",
            "result": "allowed" if decision.allowed else "blocked",
            "allowed": decision.allowed,
            "reason": decision.reason,
            # The canonical origin is safe as is; a malformed one is escaped and truncated.
            "origin": decision.origin or safe_for_log(raw_origin),
            **fields,
        }
        if decision.detail:
            values["detail"] = decision.detail
        if suppressed:
            values["suppressed"] = suppressed
        if decision.allowed:
            logger.info(event, **values)
        else:
            logger.warning(event, **values)
        return True
