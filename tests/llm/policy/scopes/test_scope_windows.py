"""ScopeBudget's validation and the windows of budgets by scope: day, ISO week, month in the
tenant's time zone (across daylight-saving changes), fixed N-hour windows in UTC."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from netrun.llm.attribution import Attribution
from netrun.llm.policy import ScopeBudget, TenantPolicy
from netrun.llm.policy.ledgers.base import (
    BudgetWindow,
    Period,
    parse_window_keys,
    parse_window_parts,
    period_window,
    scope_windows,
    windows_for,
)

UTC = dt.timezone.utc


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type,misc]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"kind": "team"}, "kind"),
        ({"value": "  "}, "value"),
        ({"limit_usd": Decimal("-1")}, "limit_usd"),
        ({"limit_usd": "lots"}, "limit_usd"),
        ({"limit_usd": Decimal("NaN")}, "limit_usd"),
        ({"period": "year"}, "period"),
        ({"period": "hours"}, "hours"),
        ({"period": "hours", "hours": 745}, "hours"),
        ({"period": "day", "hours": 5}, "hours"),
        ({"alert_thresholds": (80, 0)}, "alert_thresholds"),
    ],
)
def test_an_invalid_scope_budget_names_its_field(arguments: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "kind": "user",
        "value": "42",
        "limit_usd": Decimal("5"),
        "period": "day",
    }
    values.update(arguments)
    with pytest.raises(ValueError, match=rf"^{field} "):
        ScopeBudget(**values)  # type: ignore[arg-type]


def test_a_scope_budget_normalises_its_amount_and_thresholds() -> None:
    budget = ScopeBudget("tag", "summary", "2.5", "hours", hours=5, alert_thresholds=(90, 50))  # type: ignore[arg-type]
    assert budget.limit_usd == Decimal("2.5")
    assert budget.alert_thresholds == (50, 90)
    policy = TenantPolicy("t1", scope_budgets=[budget])  # type: ignore[arg-type]
    assert policy.scope_budgets == (budget,)
    assert policy.has_budget  # a scope budget needs prices, like a tenant budget
    with pytest.raises(ValueError, match="scope_budgets"):
        TenantPolicy("t1", scope_budgets=("user:42",))  # type: ignore[arg-type]


def test_the_tenant_window_keys_are_unchanged_and_scoped_keys_name_the_scope() -> None:
    day, month = windows_for(at(2025, 6, 30, 23, 30), daily_limit=1, monthly_limit=2)
    assert (day.key, month.key) == ("day:2025-06-30", "month:2025-06-01")
    assert day.scope == "tenant"
    user = period_window(at(2025, 6, 30, 23, 30), "day", limit=1, scope="user:a,b|c/d%")
    assert user.key == "user:a%2Cb%7Cc%2Fd%25/day:2025-06-30"  # no separator of stored keys
    hours = period_window(at(2025, 6, 30, 23, 30), "hours", limit=1, scope="tag:x", hours=5)
    assert parse_window_parts(f"{day.key},{user.key},{hours.key}") == [
        ("day", dt.date(2025, 6, 30)),
        ("user:a%2Cb%7Cc%2Fd%25/day", dt.date(2025, 6, 30)),
        (hours.period_key, hours.start),
    ]
    assert parse_window_keys("day:2025-06-30,month:2025-06-01") == [
        (Period.DAY, dt.date(2025, 6, 30)),
        (Period.MONTH, dt.date(2025, 6, 1)),
    ]
    long = period_window(at(2025, 6, 30), "day", limit=1, scope="user:" + "x" * 400)
    assert len(long.period_key) <= 200


def test_day_and_week_across_the_spring_dst_change_in_paris() -> None:
    # 2026-03-29: Paris goes from 02:00 CET to 03:00 CEST, the day lasts 23 hours.
    now = at(2026, 3, 29, 10)
    day = period_window(now, "day", limit=1, timezone="Europe/Paris", scope="user:1")
    assert day.start == dt.date(2026, 3, 29)
    assert day.resets_at == at(2026, 3, 29, 22)  # midnight CEST (+02:00)
    week = period_window(now, "week", limit=1, timezone="Europe/Paris", scope="user:1")
    assert week.start == dt.date(2026, 3, 23)  # the Monday
    assert week.resets_at == at(2026, 3, 29, 22)  # Monday 30 March, 00:00 CEST
    # Saturday 23:30 in Paris (22:30 UTC) is still that week, Monday 00:30 is the next.
    assert period_window(
        at(2026, 3, 29, 21, 30), "week", limit=1, timezone="Europe/Paris"
    ).start == dt.date(2026, 3, 23)
    assert period_window(
        at(2026, 3, 29, 22, 30), "week", limit=1, timezone="Europe/Paris"
    ).start == dt.date(2026, 3, 30)


def test_day_week_and_month_across_the_autumn_dst_change_in_paris() -> None:
    # 2026-10-25: 03:00 CEST becomes 02:00 CET, the day lasts 25 hours.
    now = at(2026, 10, 25, 12)
    day = period_window(now, "day", limit=1, timezone="Europe/Paris")
    assert (day.start, day.resets_at) == (dt.date(2026, 10, 25), at(2026, 10, 25, 23))
    week = period_window(at(2026, 10, 20, 12), "week", limit=1, timezone="Europe/Paris")
    assert (week.start, week.resets_at) == (dt.date(2026, 10, 19), at(2026, 10, 25, 23))
    month = period_window(now, "month", limit=1, timezone="Europe/Paris")
    assert (month.start, month.resets_at) == (dt.date(2026, 10, 1), at(2026, 10, 31, 23))


def test_hours_windows_are_fixed_from_the_epoch_in_utc() -> None:
    now = at(2026, 3, 29, 10, 30)
    window = period_window(now, "hours", limit=1, scope="key:svc", hours=5, timezone="Europe/Paris")
    epoch_hours = int(now.timestamp()) // 3600
    start = dt.datetime.fromtimestamp((epoch_hours - epoch_hours % 5) * 3600, UTC)
    assert window.resets_at == start + dt.timedelta(hours=5)
    assert window.start == start.date()
    assert window.start <= now.date()
    assert start <= now < window.resets_at
    # The next window starts where this one ends, and has its own key.
    later = period_window(window.resets_at, "hours", limit=1, scope="key:svc", hours=5)
    assert later.resets_at == window.resets_at + dt.timedelta(hours=5)
    assert later.key != window.key


def test_scope_windows_take_the_matching_budgets_a_specific_one_before_a_default() -> None:
    budgets = (
        ScopeBudget("user", None, Decimal("1"), "day"),
        ScopeBudget("user", "vip", Decimal("50"), "day"),
        ScopeBudget("user", None, Decimal("20"), "month"),
        ScopeBudget("tag", "summary", Decimal("3"), "week"),
        ScopeBudget("tag", "summary", Decimal("2"), "week"),
        ScopeBudget("key", "other", Decimal("9"), "day"),
    )
    now = at(2026, 3, 4, 12)
    found = scope_windows(now, budgets, Attribution("t1", "vip", "svc", ("summary", "x")))
    by_key = {(w.scope, w.period.value): w.limit for w in found}
    assert by_key == {
        ("user:vip", "day"): 50_000_000,
        ("user:vip", "month"): 20_000_000,
        ("tag:summary", "week"): 2_000_000,
    }
    assert all(isinstance(w, BudgetWindow) for w in found)
    assert scope_windows(now, budgets, [("user", "7")])[0].limit == 1_000_000
    assert scope_windows(now, budgets, []) == ()
