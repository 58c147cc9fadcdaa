"""Rate strings: ``"100/m"``, ``"10000/h"``, ``"5/10s"``, ``"60/min"``.

Framework-neutral: no Django import.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["InvalidRateError", "Rate", "parse_rate"]

_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}

# "<limit>/<multiplier?><unit>", the union of django-ratelimit's ("5/10m") and DRF's
# ("100/hour") spellings, so existing settings keep their meaning.
_RATE = re.compile(r"^\s*(?P<limit>\d+)\s*/\s*(?P<multiplier>\d*)\s*(?P<unit>[a-z]+)\s*$", re.I)


class InvalidRateError(ValueError):
    """A rate string that does not parse; the message names the string and the format."""

    def __init__(self, rate: object, reason: str) -> None:
        super().__init__(
            f"invalid rate {rate!r}: {reason}; expected '<limit>/<period>' such as "
            "'100/m', '10000/h', '5/10s' (units: s, m, h, d, or sec, min, hour, day)"
        )
        self.rate = rate


@dataclass(frozen=True, slots=True)
class Rate:
    """``limit`` units of cost per ``period`` seconds, over a sliding window."""

    limit: int
    period: float

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise InvalidRateError(f"{self.limit}/{self.period}s", "the limit must be at least 1")
        if self.period <= 0:
            raise InvalidRateError(f"{self.limit}/{self.period}s", "the period must be positive")

    def __str__(self) -> str:
        return f"{self.limit}/{self.period:g}s"


def parse_rate(rate: str | Rate) -> Rate:
    """The :class:`Rate` for ``rate``; raises :class:`InvalidRateError` naming a bad string."""
    if isinstance(rate, Rate):
        return rate
    if not isinstance(rate, str):
        raise InvalidRateError(rate, f"a rate is a string, not {type(rate).__name__}")
    return _parse(rate)


@functools.lru_cache(maxsize=256)
def _parse(rate: str) -> Rate:
    # Cached: decorators and throttles parse their rate on every request.
    match = _RATE.match(rate)
    if match is None:
        raise InvalidRateError(rate, "it does not have the form '<limit>/<period>'")
    unit = match["unit"].lower()
    if unit.endswith("s") and unit[:-1] in _UNITS and unit not in _UNITS:
        unit = unit[:-1]  # "hours", "mins", "days"
    seconds = _UNITS.get(unit)
    if seconds is None:
        raise InvalidRateError(rate, f"unknown unit {match['unit']!r}")
    multiplier = int(match["multiplier"]) if match["multiplier"] else 1
    if multiplier < 1:
        raise InvalidRateError(rate, "the period must be positive")
    limit = int(match["limit"])
    if limit < 1:
        raise InvalidRateError(rate, "the limit must be at least 1")
    return Rate(limit, float(seconds * multiplier))
