"""The budget windows of a tenant's calls, the refusal that names one, and their status.

:class:`BudgetWindows` keeps the tenant's day and month windows and the windows of the
scope budgets a call's attribution matches, each set recomputed only once one of its windows
resets (time-zone maths on every call would be most of the in-memory path's cost).

Framework-neutral: no Django import.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from netrun.errors import BudgetExceededError
from netrun.llm.policy.ledgers.base import (
    BudgetLedger,
    BudgetWindow,
    WindowUsage,
    from_micros,
    retry_after,
    scope_windows,
    to_micros,
    windows_for,
)
from netrun.llm.policy.rules import TenantPolicy

__all__ = ["BudgetWindows", "budget_error", "budget_status"]

#: How many distinct scope sets one enforcer keeps windows for (a long-lived one meets many).
_MAX_SCOPE_SETS = 1024


class BudgetWindows:
    """The windows one :class:`TenantPolicy`'s calls count against, cached until they reset."""

    def __init__(self, policy: TenantPolicy) -> None:
        self.policy = policy
        daily, monthly = policy.daily_budget, policy.monthly_budget
        self._daily = None if daily is None else to_micros(daily)
        self._monthly = None if monthly is None else to_micros(monthly)
        self._tenant: tuple[BudgetWindow, ...] = ()
        # The scopes of a call -> the windows of their budgets.
        self._scopes: dict[tuple[tuple[str, str], ...], tuple[BudgetWindow, ...]] = {}

    def tenant(self, now: dt.datetime) -> tuple[BudgetWindow, ...]:
        """The tenant's day and month windows containing ``now``."""
        if not self._tenant or now >= self._tenant[0].resets_at:
            self._tenant = windows_for(
                now,
                daily_limit=self._daily,
                monthly_limit=self._monthly,
                timezone=self.policy.timezone,
            )
        return self._tenant

    def for_call(
        self,
        now: dt.datetime,
        tags: Iterable[str] = (),
        user_id: str | None = None,
        api_key: str | None = None,
    ) -> tuple[BudgetWindow, ...]:
        """The tenant's windows, then those of every scope budget the call's attribution
        matches (none without ``scope_budgets``: the tenant's alone, as before scopes)."""
        windows = self.tenant(now)
        if not self.policy.scope_budgets:
            return windows
        from netrun.llm.attribution import current_attribution

        scopes = current_attribution(
            self.policy.tenant_id, tags=tags, user_id=user_id, api_key=api_key
        ).scopes()
        if not scopes:
            return windows
        cached = self._scopes.get(scopes)
        if cached is None or any(now >= window.resets_at for window in cached):
            if len(self._scopes) >= _MAX_SCOPE_SETS:
                self._scopes.clear()
            cached = scope_windows(now, self.policy.scope_budgets, scopes, self.policy.timezone)
            self._scopes[scopes] = cached
        return windows + cached


def budget_error(
    policy: TenantPolicy,
    window: BudgetWindow,
    usage: WindowUsage,
    now: dt.datetime,
    provider: str,
    model: str,
) -> BudgetExceededError:
    """The 429 for ``window`` used up: its rule, its scope and period, and when it resets."""
    scoped: dict[str, Any] = {}
    if window.scope == "tenant":
        rule = f"{'daily' if window.period.value == 'day' else 'monthly'}_budget"
        message = f"The {rule.replace('_', ' ')}"
    else:
        rule = "scope_budget"
        length = f"{window.hours}-hour" if window.hours else window.period.value
        message = f"The {length} budget of {window.scope}"
        scoped = {"scope": window.scope, "period": window.period.value}
        if window.hours:
            scoped["hours"] = window.hours
    return BudgetExceededError(
        f"{message} of {from_micros(window.limit or 0)} USD is used up.",
        retry_after=retry_after(window, now),
        rule=rule,
        provider=provider,
        model=model,
        tenant_id=policy.tenant_id,
        spent_usd=str(from_micros(usage.spent)),
        reserved_usd=str(from_micros(usage.reserved)),
        fallback_to_local=policy.fallback_to_local,
        **scoped,
    )


def budget_status(
    ledger: BudgetLedger, tenant_id: str, windows: Sequence[BudgetWindow]
) -> list[dict[str, Any]]:
    """Each window's limit, spent, reserved and remaining USD, and when it resets."""
    status = []
    for window in windows:
        usage = ledger.usage(tenant_id, window)
        limit = None if window.limit is None else from_micros(window.limit)
        status.append(
            {
                "period": window.period.value,
                "start": window.start,
                "limit_usd": limit,
                "spent_usd": from_micros(usage.spent),
                "reserved_usd": from_micros(usage.reserved),
                "remaining_usd": None
                if window.limit is None
                else from_micros(max(0, window.limit - usage.spent - usage.reserved)),
                "resets_at": window.resets_at,
            }
        )
    return status
