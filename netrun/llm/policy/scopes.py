"""Budgets below the tenant: per user, per API key and per feature tag.

A :class:`ScopeBudget` caps what one scope of a tenant may spend in a period. ``value``
names the user, key or tag it caps; ``None`` makes it a default limit that applies to every
user (key, tag) separately. Scope keys are ``"tenant"`` for the tenant itself and
``"user:<id>"``, ``"key:<id>"``, ``"tag:<name>"`` below it; every scope lives inside its
tenant, so a user's budget is per tenant.

Framework-neutral: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

__all__ = ["SCOPE_KINDS", "SCOPE_PERIODS", "ScopeBudget", "scope_key"]

SCOPE_KINDS: tuple[str, ...] = ("user", "key", "tag")
SCOPE_PERIODS: tuple[str, ...] = ("day", "week", "month", "hours")
_MAX_HOURS = 744  # 31 days


def scope_key(kind: str, value: str) -> str:
    """The scope key of one user, key or tag: ``"user:42"``."""
    return f"{kind}:{value}"


@dataclass(frozen=True, slots=True)
class ScopeBudget:
    """A spending cap (USD) for one user, API key or feature tag of a tenant, per period.

    ``period`` is ``"day"``, ``"week"`` (ISO week, Monday 00:00), ``"month"`` (all three in the
    tenant's time zone) or ``"hours"``: fixed windows of ``hours`` hours counted from the epoch
    in UTC (a 5-hour budget resets every 5 hours). ``alert_thresholds`` are percentages of the
    limit; ``None`` uses the tenant's default.
    """

    kind: Literal["user", "key", "tag"]
    value: str | None  # None: every user / key / tag separately (a default limit)
    limit_usd: Decimal
    period: Literal["day", "week", "month", "hours"]
    hours: int | None = None  # the window length when period == "hours" (1..744)
    alert_thresholds: tuple[int, ...] | None = None  # percentages; None: the tenant's default

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.kind not in SCOPE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(SCOPE_KINDS)}, not {self.kind!r}")
        if self.value is not None:
            if not isinstance(self.value, str) or not self.value.strip():
                raise ValueError(f"value must be a non-empty string or None, not {self.value!r}")
            set_(self, "value", self.value.strip())
        limit: object = self.limit_usd
        if isinstance(limit, bool) or not isinstance(limit, Decimal | int | float | str):
            raise ValueError(f"limit_usd must be an amount of USD, not {limit!r}")
        try:
            amount = limit if isinstance(limit, Decimal) else Decimal(str(limit))
        except ArithmeticError as error:
            raise ValueError(f"limit_usd must be an amount of USD, not {limit!r}") from error
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"limit_usd must be a non-negative amount of USD, not {limit!r}")
        set_(self, "limit_usd", amount)
        if self.period not in SCOPE_PERIODS:
            raise ValueError(
                f"period must be one of {', '.join(SCOPE_PERIODS)}, not {self.period!r}"
            )
        if self.period == "hours":
            hours = self.hours
            if (
                isinstance(hours, bool)
                or not isinstance(hours, int)
                or not 1 <= hours <= _MAX_HOURS
            ):
                raise ValueError(
                    f"hours must be an integer from 1 to {_MAX_HOURS} when period is "
                    f"'hours', not {hours!r}"
                )
        elif self.hours is not None:
            raise ValueError(f"hours is only for period 'hours', not {self.period!r}")
        if self.alert_thresholds is not None:
            thresholds = tuple(self.alert_thresholds)
            for percent in thresholds:
                if isinstance(percent, bool) or not isinstance(percent, int) or percent < 1:
                    raise ValueError(
                        f"alert_thresholds must hold positive integer percentages, not {percent!r}"
                    )
            set_(self, "alert_thresholds", tuple(sorted(set(thresholds))))

    def matches(self, kind: str, value: str) -> bool:
        """Whether this budget caps the scope ``kind:value``."""
        return self.kind == kind and (self.value is None or self.value == value)
