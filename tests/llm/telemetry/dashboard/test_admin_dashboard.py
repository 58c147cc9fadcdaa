"""The admin dashboard's sections: budgets, spend per provider, top models, failures,
refusals by rule, the date-range filter, and what tenant staff may see."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import RequestFactory

from netrun.core.context import tenant_context
from netrun.errors import BudgetExceededError
from netrun.llm import LLMClient
from netrun.llm.adapters import OfflineAdapter
from netrun.llm.models import TenantPolicyRecord
from netrun.llm.policies import PolicyEnforcer, PolicyViolationError, ProviderPolicy, TenantPolicy
from netrun.llm.telemetry import InMemorySink, TelemetryCollector
from netrun.llm.telemetry.dashboard import (
    BudgetUse,
    budget_bar_svg,
    dashboard_query,
    llm_dashboard_view,
    provider_spend_svg,
    tenant_budgets,
)
from netrun.llm.telemetry.sinks.database import DatabaseSink
from tests.llm.telemetry.conftest import make_record

UTC = dt.timezone.utc


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


def _request(user: Any, query: str = "") -> Any:
    request = RequestFactory().get(f"/admin/llm/dashboard/{query}")
    request.user = user
    return request


def _page(user: Any, query: str = "", tenant: str | None = None) -> str:
    with tenant_context(tenant):
        response = llm_dashboard_view(_request(user, query))
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.S)
    assert match is not None, f"no section {section_id}"
    return match.group(1)


@pytest.fixture
def staff(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("staff", password="pw", is_staff=True)


@pytest.fixture
def seeded(db: None) -> None:
    """Two tenants with budgets, spend today, failures and refusals of both kinds."""
    moment = _now()
    # Minutes ago, but never before midnight: every row is spend of today (UTC).
    today = dt.datetime.combine(moment.date(), dt.time(), UTC)

    def ago(minutes: int) -> dt.datetime:
        return max(moment - dt.timedelta(minutes=minutes), today)

    TenantPolicyRecord.objects.create(
        tenant_id="acme", daily_budget_usd=Decimal("4"), monthly_budget_usd=Decimal("100")
    )
    TenantPolicyRecord.objects.create(tenant_id="globex", daily_budget_usd=Decimal("1"))
    DatabaseSink().write(
        [
            make_record(at=ago(5), tenant_id="acme", cost="3.00"),
            make_record(at=ago(4), tenant_id="acme", provider="anthropic", model="claude-haiku-4-5", cost="0.50"),
            make_record(at=ago(3), tenant_id="globex", model="gpt-4o-mini", cost="2.00"),
            make_record(at=ago(2), tenant_id="acme", success=False, cost=None, correlation_id="acme-timeout"),
            make_record(at=ago(2), tenant_id="globex", success=False, cost=None, correlation_id="globex-timeout"),
            make_record(at=ago(1), tenant_id="acme", success=False, cost=None, error_type="policy:model_denied"),
            make_record(at=ago(1), tenant_id="acme", success=False, cost=None, error_type="policy:model_denied"),
            make_record(at=ago(1), tenant_id="acme", success=False, cost=None, error_type="budget:daily_budget"),
            make_record(at=ago(1), tenant_id="acme", success=False, cost=None, error_type="LLM_POLICY_VIOLATION"),
            make_record(at=ago(1), tenant_id="globex", success=False, cost=None, error_type="policy:cost_tier"),
        ]
    )  # fmt: skip


# ----------------------------------------------------------------------------- budgets


def test_budgets_show_spent_limit_remaining_and_a_bar_per_period(
    seeded: None, admin_user: Any
) -> None:
    budgets = _section(_page(admin_user), "budgets")
    acme = budgets[budgets.index('data-tenant="acme"') :]
    # 3.50 of a 4.00 day: 0.50 left, 88 % (amber); 3.50 of a 100.00 month: 4 %.
    assert re.search(
        r"<td>today</td><td[^>]*>3\.50</td><td[^>]*>4\.00</td><td[^>]*>0\.50</td>", acme
    )
    assert re.search(r"<td>this month</td><td[^>]*>3\.50</td><td[^>]*>100\.00</td><td[^>]*>96\.50</td>", acme)  # fmt: skip
    assert 'fill="#e0a800"' in acme.split("this month")[0]
    assert "88%" in acme
    # globex spent 2.00 of a 1.00 day (red, nothing remaining) and has no monthly cap.
    globex = budgets[budgets.index('data-tenant="globex"') :]
    assert re.search(
        r"<td>today</td><td[^>]*>2\.00</td><td[^>]*>1\.00</td><td[^>]*>0\.00</td>", globex
    )
    assert 'fill="#ba2121"' in globex
    assert "no limit" in globex


def test_tenant_budgets_count_today_and_this_month_in_utc_only(db: None) -> None:
    now = dt.datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
    TenantPolicyRecord.objects.create(tenant_id="acme", monthly_budget_usd=Decimal("10"))
    DatabaseSink().write(
        [
            make_record(at=now - dt.timedelta(minutes=10), tenant_id="acme", cost="1"),  # today
            make_record(at=now - dt.timedelta(hours=1), tenant_id="acme", cost="2"),  # yesterday
            make_record(at=now - dt.timedelta(days=10), tenant_id="acme", cost="4"),  # February
            make_record(at=now - dt.timedelta(hours=1), tenant_id="initech", cost="8"),
        ]
    )
    (budget,) = tenant_budgets("acme", now=now)
    assert (budget.today.spent, budget.month.spent) == (Decimal(1), Decimal(3))
    assert budget.today.limit is None
    assert budget.month.remaining == Decimal(7)
    everyone = tenant_budgets(None, now=now)
    # Biggest spender of the month first; a tenant with spend but no policy is listed too.
    assert [b.tenant_id for b in everyone] == ["initech", "acme"]
    assert everyone[0].month.limit is None


def test_a_tenant_named_by_the_filter_is_listed_even_without_policy_or_spend(db: None) -> None:
    (budget,) = tenant_budgets("nobody")
    assert budget.today == BudgetUse(Decimal(0), None)


@pytest.mark.parametrize(
    ("spent", "limit", "colour", "label"),
    [
        ("1", "4", "#417690", "25%"),
        ("8.5", "10", "#e0a800", "85%"),
        ("12", "10", "#ba2121", "120%"),
        ("0", "0", "#ba2121", "100%"),
    ],
)
def test_the_budget_bar_fills_to_the_share_spent_and_turns_red_when_used_up(
    spent: str, limit: str, colour: str, label: str
) -> None:
    use = BudgetUse(Decimal(spent), Decimal(limit))
    bar = str(budget_bar_svg(use, width=100))
    assert f'fill="{colour}"' in bar
    assert bar.endswith(label)
    used = re.search(r'class="used" width="([\d.]+)"', bar)
    assert used is not None
    assert float(used.group(1)) == min(100.0, float(label.rstrip("%")))
    assert use.remaining is not None
    assert use.remaining >= 0


def test_the_budget_bar_says_when_there_is_no_limit() -> None:
    assert "no limit" in budget_bar_svg(BudgetUse(Decimal(5), None))
    assert "<svg" not in budget_bar_svg(BudgetUse(Decimal(5), None))


# ----------------------------------------------------------------------------- charts


def test_spend_per_day_is_stacked_by_provider_with_a_legend() -> None:
    days = [dt.date(2026, 3, 9), dt.date(2026, 3, 10), dt.date(2026, 3, 11)]
    svg = str(
        provider_spend_svg(
            days,
            {
                "openai": {days[0]: Decimal("1"), days[1]: Decimal("3")},
                "anthropic": {days[1]: Decimal("1")},
            },
        )
    )
    bars = re.findall(
        r'<rect class="bar" x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', svg
    )
    assert len(bars) == 3  # nothing drawn for a day without spend
    # The axis tops at 5 USD (the peak day's 4, rounded up): 180 px for 5 USD, so the peak
    # day stacks anthropic's 1 USD (36 px) and openai's 3 USD (108 px).
    peak_day = [bar for bar in bars if bar[0] == bars[1][0]]
    assert sorted(float(bar[2]) for bar in peak_day) == [36.0, 108.0]
    assert "<title>2026-03-10 openai: $3.00</title>" in svg
    assert re.findall(r'<g class="legend">.*?<text[^>]*>(\w+)</text>', svg) == [
        "anthropic",
        "openai",
    ]
    assert re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', svg) == ["$0.00", "$2.50", "$5.00"]
    assert re.findall(r'<text class="value"[^>]*>([^<]+)</text>', svg) == ["$1.00", "$4.00"]
    assert "<script" not in svg


def test_the_provider_chart_escapes_names_and_handles_no_spend() -> None:
    day = dt.date(2026, 3, 10)
    svg = str(provider_spend_svg([day], {"<b>x</b>": {day: Decimal("1")}}))
    assert "<b>" not in svg
    assert "&lt;b&gt;x&lt;/b&gt;" in svg
    assert "No priced requests" in provider_spend_svg([day], {"openai": {day: Decimal(0)}})
    assert "No priced requests" in provider_spend_svg([], {})


def test_the_page_draws_spend_per_day_by_provider(seeded: None, admin_user: Any) -> None:
    chart = _section(_page(admin_user, "?days=3"), "provider-spend")
    assert chart.count('class="bar"') == 2  # today: openai and anthropic, stacked
    assert "openai: $5.00" in chart
    assert "anthropic: $0.50" in chart


# ----------------------------------------------------------------------------- tables


def test_top_models_are_the_ten_costliest(db: None, admin_user: Any) -> None:
    now = _now()
    DatabaseSink().write(
        [
            make_record(at=now - dt.timedelta(minutes=1), model=f"m{index:02}", cost=f"{index}.00")
            for index in range(1, 13)
        ]
    )
    models = _section(_page(admin_user), "top-models")
    listed = re.findall(r"<td>openai/(m\d\d)</td>", models)
    assert listed == [f"m{index:02}" for index in range(12, 2, -1)]


def test_refusals_are_counted_per_rule(seeded: None, admin_user: Any) -> None:
    refusals = _section(_page(admin_user), "refusals")
    rows = re.findall(r"<tr><td>(\w+)</td><td>([^<]+)</td><td[^>]*>(\d+)</td></tr>", refusals)
    assert rows == [
        ("policy", "model_denied", "2"),
        ("budget", "daily_budget", "1"),
        ("policy", "(rule not recorded)", "1"),
        ("policy", "cost_tier", "1"),
    ]


def test_recent_failures_list_the_latest_twenty_with_their_correlation_ids(
    db: None, admin_user: Any
) -> None:
    now = _now()
    DatabaseSink().write(
        [
            make_record(at=now - dt.timedelta(minutes=index), success=False, correlation_id=f"c{index:02}")
            for index in range(1, 23)
        ]
    )  # fmt: skip
    failures = _section(_page(admin_user), "failures")
    assert failures.count("<tr><td>") == 20
    assert "c01" in failures
    assert "c20" in failures
    assert "c21" not in failures
    assert "LLMTimeoutError" in failures


def test_empty_sections_say_so(db: None, admin_user: Any) -> None:
    html = _page(admin_user)
    assert "No refusals in this period." in html
    assert "No failures in this period." in html
    assert "No tenant has a policy or spend this month." in html
    assert "No priced requests in this period." in html


# ----------------------------------------------------------------------------- filters


def test_since_and_until_select_whole_utc_days(db: None, admin_user: Any) -> None:
    request = _request(admin_user, "?since=2026-03-01&until=2026-03-10&days=2")
    query = dashboard_query(request)
    assert query is not None
    assert query.since == dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert query.until == dt.datetime(2026, 3, 11, tzinfo=UTC)
    DatabaseSink().write(
        [
            make_record(at=dt.datetime(2026, 3, 10, 23, 59, tzinfo=UTC), correlation_id="in"),
            make_record(at=dt.datetime(2026, 3, 11, 0, 0, tzinfo=UTC), correlation_id="out"),
        ]
    )
    html = _page(admin_user, "?since=2026-03-01&until=2026-03-10")
    assert '<td id="total-requests">1</td>' in html
    assert "2026-03-01 00:00 to 2026-03-11 00:00 UTC" in html


def test_a_long_since_and_hours_over_months_are_narrowed(db: None, admin_user: Any) -> None:
    now = dt.datetime(2026, 3, 10, 12, tzinfo=UTC)
    query = dashboard_query(_request(admin_user, "?since=2020-01-01&granularity=hour"), now=now)
    assert query is not None
    assert (query.since, query.until) == (now - dt.timedelta(days=366), now)
    assert query.granularity == "day"
    hourly = dashboard_query(_request(admin_user, "?days=31&granularity=hour"), now=now)
    assert hourly is not None
    assert hourly.granularity == "hour"


def test_until_alone_ends_the_window_and_days_sets_its_length(db: None, admin_user: Any) -> None:
    query = dashboard_query(_request(admin_user, "?until=2026-03-10&days=7"))
    assert query is not None
    assert (query.since, query.until) == (
        dt.datetime(2026, 3, 4, tzinfo=UTC),
        dt.datetime(2026, 3, 11, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?since=yesterday", "Since: Enter a date as YYYY-MM-DD."),
        ("?until=2026-02-30", "Until: Enter a date as YYYY-MM-DD."),
        ("?since=2026-03-10&until=2026-03-01", "Until: Must be on or after the since date."),
        ("?since=2024-01-01&until=2026-01-01", "Until: A range is at most 366 days."),
        ("?days=0", "Days: Ensure this value is greater than or equal to 1."),
        ("?days=x", "Days: Enter a whole number."),
        ("?since=2999-01-01", "Since: The date is in the future"),
        ("?since=2020-01-01", "Since: A range is at most 366 days"),
        ("?granularity=hour&days=60", "Per: Hours are shown for at most 31 days"),
    ],
)
def test_an_invalid_filter_is_reported_and_its_default_used(
    db: None, admin_user: Any, query: str, message: str
) -> None:
    html = _page(admin_user, query)
    errors = re.search(r'<ul class="errorlist" id="filter-errors">(.*?)</ul>', html, re.S)
    assert errors is not None
    assert message in errors.group(1)
    assert 'id="total-requests"' in html  # the page still works, on the defaults


def test_filter_values_are_escaped_in_messages_and_inputs(db: None, admin_user: Any) -> None:
    html = _page(admin_user, "?granularity=<script>alert(1)</script>&model=<img>")
    assert "<script>alert" not in html
    assert "<img>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # named in the message, escaped
    assert 'value="&lt;img&gt;"' in html


# ----------------------------------------------------------------------------- tenant staff


def test_tenant_staff_see_only_their_tenant_in_every_section(seeded: None, staff: Any) -> None:
    html = _page(staff, "?tenant=globex", tenant="acme")
    budgets = _section(html, "budgets")
    assert 'data-tenant="acme"' in budgets
    assert "globex" not in budgets
    assert "acme-timeout" in _section(html, "failures")
    assert "globex-timeout" not in _section(html, "failures")
    refusals = _section(html, "refusals")
    assert "model_denied" in refusals
    assert "cost_tier" not in refusals  # globex's refusal
    models = _section(html, "top-models")
    assert "openai/gpt-4o" in models
    assert "gpt-4o-mini" not in models  # only globex used it
    assert "globex" not in html.replace('value="globex"', "")
    assert 'name="tenant" value="acme" disabled' in html


def test_tenant_staff_without_a_tenant_see_no_section(seeded: None, staff: Any) -> None:
    html = _page(staff)
    assert "nothing to show" in html
    for section in ("budgets", "failures", "refusals", "top-models", "provider-spend"):
        assert f'<section id="{section}">' not in html
    assert "acme" not in html


def test_a_superuser_filtering_on_a_tenant_sees_only_that_tenant(
    seeded: None, admin_user: Any
) -> None:
    html = _page(admin_user, "?tenant=globex")
    assert 'data-tenant="acme"' not in _section(html, "budgets")
    assert "globex-timeout" in _section(html, "failures")
    assert "acme-timeout" not in _section(html, "failures")
    assert "model_denied" not in _section(html, "refusals")


# ----------------------------------------------------------------------------- refusal records


def test_the_client_records_a_policy_refusal_with_its_rule() -> None:
    memory = InMemorySink()
    collector = TelemetryCollector(sinks=[memory], background=False)
    policy = TenantPolicy(
        "acme",
        provider_policies={"offline": ProviderPolicy("offline", denied_models=["offline-*"])},
    )
    client = LLMClient([OfflineAdapter()], enforcer=PolicyEnforcer(policy), telemetry=collector)
    with pytest.raises(PolicyViolationError) as caught:
        client.chat("hello")
    collector.flush()
    collector.close()
    (record,) = memory.records
    assert (record.success, record.error_type) == (False, "policy:model_denied")
    # The error the caller sees keeps its class's code.
    assert caught.value.error_code == "LLM_POLICY_VIOLATION"
    assert "error_code" not in vars(caught.value)


class _SpentEnforcer:
    fallback_to_local = False

    def reserve(self, **request: Any) -> Any:
        raise BudgetExceededError(
            "The daily budget is used up.", retry_after=60, rule="daily_budget"
        )


def test_the_client_records_a_budget_refusal_with_its_rule_and_an_unruled_one_as_is() -> None:
    memory = InMemorySink()
    collector = TelemetryCollector(sinks=[memory], background=False)
    client = LLMClient([OfflineAdapter()], enforcer=_SpentEnforcer(), telemetry=collector)
    with pytest.raises(BudgetExceededError) as caught:
        client.chat("hello")
    assert caught.value.error_code == "BUDGET_EXCEEDED"

    class Unruled(_SpentEnforcer):
        def reserve(self, **request: Any) -> Any:
            raise BudgetExceededError("Used up.", retry_after=60)

    with pytest.raises(BudgetExceededError):
        LLMClient([OfflineAdapter()], enforcer=Unruled(), telemetry=collector).chat("hello")
    collector.flush()
    collector.close()
    assert [record.error_type for record in memory.records] == [
        "budget:daily_budget",
        "BUDGET_EXCEEDED",
    ]
