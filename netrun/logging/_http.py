"""What the Django and ASGI correlation middlewares share: reading the incoming IDs.

Framework-neutral: both middlewares hand in a header getter.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from netrun.core.context import TraceContext, new_correlation_id, parse_traceparent
from netrun.logging._config import get_logger

__all__ = [
    "CORRELATION_HEADERS",
    "RESPONSE_HEADER",
    "IncomingIds",
    "is_valid_correlation_id",
    "read_incoming_ids",
]

#: Request headers a correlation ID is taken from, in order of preference (lowercase).
CORRELATION_HEADERS: Final = ("x-correlation-id", "x-request-id")
RESPONSE_HEADER: Final = "X-Correlation-ID"

_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

logger = get_logger(__name__)


def is_valid_correlation_id(value: str) -> bool:
    """True for 1 to 128 characters of ``A-Z a-z 0-9 . _ -``: safe in headers and logs."""
    return _VALID_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class IncomingIds:
    correlation_id: str
    trace: TraceContext | None
    started: float


def read_incoming_ids(header: Callable[[str], str | None]) -> IncomingIds:
    """The request's correlation ID (or a new one) and W3C trace context.

    ``header(name)`` returns a request header by lowercase name. An invalid ID is replaced
    and the replacement logged with the header's name and the value's length only: the value
    itself may be an injection attempt or a secret, and is never echoed.
    """
    started = time.perf_counter()
    correlation_id: str | None = None
    rejected: str | None = None
    rejected_length = 0
    for name in CORRELATION_HEADERS:
        value = header(name)
        if value is None or value == "":
            continue
        if _VALID_ID.fullmatch(value) is not None:
            correlation_id = value
            break
        if rejected is None:
            rejected, rejected_length = name, len(value)
    if correlation_id is None:
        correlation_id = new_correlation_id()
        if rejected is not None:
            logger.warning(
                "correlation_id_replaced",
                header=rejected,
                length=rejected_length,
                reason="invalid",
                correlation_id=correlation_id,
            )
    return IncomingIds(correlation_id, parse_traceparent(header("traceparent")), started)


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
