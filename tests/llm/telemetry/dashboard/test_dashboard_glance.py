"""The dashboard read at a glance: served by the admin site wherever ``admin/`` is routed,
linked from the admin index, tenants by name, amounts written for their size, charts that
stay readable with one day of one provider, a table of the charts' numbers, empty states and
a "data as of" line; the LLM admin pages name tenants too."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client, override_settings
from django.urls import path, reverse

from netrun.core.context import tenant_context
from netrun.llm.models import BudgetSpend, TenantPolicyRecord
from netrun.llm.telemetry.dashboard import (
    ChartColumn,
    bar_chart_svg,
    format_percent,
    format_usd,
    llm_dashboard_view,
    spend_chart_svg,
    tenant_labels,
)
from netrun.llm.telemetry.records import TimeBucket
from netrun.llm.telemetry.sinks.database import DatabaseSink
from netrun.rbac.models import Membership, Tenant
from tests.llm.telemetry.conftest import make_record

UTC = dt.timezone.utc
DASHBOARD = "/admin/netrun_llm/dashboard/"


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.S)
    assert match is not None, f"no section {section_id}"
    return match.group(1)


@pytest.fixture
def root(db: None, django_user_model: Any) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    return client


@pytest.fixture
def acme(db: None) -> Any:
    return Tenant.objects.create(slug="acme", name="Acme Corp")


@pytest.fixture
def tiny(acme: Any) -> Any:
    """One tenant, one provider, one request today that cost $0.0005 of a $0.05 day."""
    TenantPolicyRecord.objects.create(tenant_id=str(acme.pk), daily_budget_usd=Decimal("0.05"))
    today = dt.datetime.combine(_now().date(), dt.time(), UTC)
    DatabaseSink().write(
        [make_record(at=max(_now() - dt.timedelta(minutes=1), today), tenant_id=str(acme.pk), cost="0.0005")]
    )  # fmt: skip
    return acme


# ----------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0", "0.00"),
        ("0.0005", "0.0005"),
        ("0.00025", "0.00025"),
        ("0.00012345", "0.0001234"),
        ("0.123456", "0.1235"),
        ("0.5", "0.50"),
        ("0.05", "0.05"),
        ("0.99999", "1.00"),
        ("3.5", "3.50"),
        ("1234.567", "1,234.57"),
        ("0.0000000001", "0.0000000001"),
    ],
)
def test_amounts_are_written_for_their_size(amount: str, text: str) -> None:
    assert format_usd(Decimal(amount)) == text


@pytest.mark.parametrize(
    ("percent", "text"),
    [(None, "-"), (0.0, "0%"), (0.4, "<1%"), (1.0, "1%"), (87.5, "88%"), (99.7, "99%"), (100.0, "100%"), (120.0, "120%")],
)  # fmt: skip
def test_a_share_of_a_budget_is_never_0_percent_of_some_spend_nor_100_before_it_is_used_up(
    percent: float | None, text: str
) -> None:
    assert format_percent(percent) == text


# ----------------------------------------------------------------------------- where it is served


def test_the_admin_site_serves_the_dashboard_and_links_it_from_the_index(root: Client) -> None:
    assert reverse("admin:netrun_llm_dashboard") == DASHBOARD
    page = root.get(DASHBOARD)
    assert page.status_code == 200
    assert "<h1>LLM spend</h1>" in page.content.decode()
    index = root.get("/admin/").content.decode()
    assert f'<a href="{DASHBOARD}"' in index
    assert "Spend dashboard" in index


def test_the_admin_hosted_dashboard_is_for_staff_only(db: None, django_user_model: Any) -> None:
    anonymous = Client().get(DASHBOARD)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    customer = Client()
    customer.force_login(django_user_model.objects.create_user("customer", password="pw"))
    assert customer.get(DASHBOARD)["Location"].startswith("/admin/login/")


def test_tenant_staff_see_only_their_tenant_on_the_admin_hosted_page(
    tiny: Any, django_user_model: Any
) -> None:
    globex = Tenant.objects.create(slug="globex", name="Globex Corporation")
    DatabaseSink().write([make_record(at=_now(), tenant_id=str(globex.pk), cost="7.00")])
    user = django_user_model.objects.create_user("acme-staff", password="pw", is_staff=True)
    Membership.objects.create(user=user, tenant=tiny, role="admin")
    staff = Client()
    staff.force_login(user)
    # Staff without any netrun_llm permission still find the dashboard on the index.
    assert f'<a href="{DASHBOARD}"' in staff.get("/admin/").content.decode()
    html = staff.get(f"{DASHBOARD}?tenant={globex.pk}").content.decode()
    assert "Acme Corp" in html
    assert "Globex" not in html
    assert "7.00" not in html
    assert '<td id="total-requests">1</td>' in html


class _AppendedAfterAdmin:
    """A project that appends its routes after ``admin/``, as people do."""

    urlpatterns = [
        path("admin/", admin.site.urls),
        path("admin/llm/dashboard/", admin.site.admin_view(llm_dashboard_view)),
        path("ops/llm/", admin.site.admin_view(llm_dashboard_view)),
    ]


class _RoutedBeforeAdmin:
    """The route of earlier releases' docs, before ``admin/``: it keeps working."""

    urlpatterns = [
        path(
            "admin/llm/dashboard/",
            admin.site.admin_view(llm_dashboard_view),
            name="netrun_llm_dashboard",
        ),
        path("admin/", admin.site.urls),
    ]


def test_with_routes_appended_after_admin_the_admin_hosted_page_still_works(
    root: Client,
) -> None:
    with override_settings(ROOT_URLCONF=_AppendedAfterAdmin):
        assert root.get(DASHBOARD).status_code == 200
        assert root.get("/ops/llm/").status_code == 200  # a path outside admin/ works anywhere
        # Under admin/, after it: the admin's catch-all answers first. Why the docs now
        # route nothing and point at the admin's own page.
        assert root.get("/admin/llm/dashboard/").status_code == 404


def test_the_route_placed_before_admin_keeps_working(root: Client) -> None:
    with override_settings(ROOT_URLCONF=_RoutedBeforeAdmin):
        assert reverse("netrun_llm_dashboard") == "/admin/llm/dashboard/"
        assert root.get("/admin/llm/dashboard/").status_code == 200
        assert root.get(DASHBOARD).status_code == 200


# ----------------------------------------------------------------------------- at a glance


def test_a_tiny_spend_of_one_provider_on_one_day_reads_clearly(tiny: Any, root: Client) -> None:
    html = root.get(f"{DASHBOARD}?days=7").content.decode()
    budgets = _section(html, "budgets")
    # $0.0005 of a $0.05 day: the spend is not "0.00" and agrees with "1%".
    assert re.search(
        r"<td>today</td><td[^>]*>0\.0005</td><td[^>]*>0\.05</td><td[^>]*>0\.0495</td>", budgets
    )
    assert "> 1%</td>" in budgets
    assert '<td id="total-cost">0.0005</td>' in html
    chart = _section(html, "provider-spend")
    # An axis of $0.00 / $0.00025 / $0.0005 and the amount over the one bar.
    ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', chart)
    assert ticks == ["$0.00", "$0.00025", "$0.0005"]
    assert re.findall(r'<text class="value"[^>]*>([^<]+)</text>', chart) == ["$0.0005"]
    widths = [float(w) for w in re.findall(r'<rect class="bar" [^>]*width="([\d.]+)"', chart)]
    assert len(widths) == 1
    assert widths[0] <= 48  # one bar, not a block across the chart
    assert "openai" in re.findall(r'<g class="legend">.*?<text[^>]*>([^<]+)</text>', chart)


def test_tenants_are_named_and_their_ids_never_shown(tiny: Any, root: Client) -> None:
    DatabaseSink().write([make_record(at=_now(), tenant_id=str(tiny.pk), success=False, cost=None)])
    html = root.get(DASHBOARD).content.decode()
    for section in ("budgets", "by-tenant", "failures"):
        assert "Acme Corp" in _section(html, section), section
    assert str(tiny.pk) not in html
    assert tiny.pk.hex not in html
    filtered = root.get(f"{DASHBOARD}?tenant={tiny.pk}").content.decode()
    assert "tenant Acme Corp" in filtered


def test_an_unknown_tenant_id_is_shown_as_it_is(db: None) -> None:
    acme = Tenant.objects.create(slug="acme", name="Acme Corp")
    labels = tenant_labels([str(acme.pk), acme.pk.hex, "legacy-tenant", ""])
    assert labels == {str(acme.pk): "Acme Corp", acme.pk.hex: "Acme Corp", "legacy-tenant": "legacy-tenant"}  # fmt: skip


def _chart_data(chart: str) -> dict[tuple[str, str], str]:
    bars = re.findall(r'data-series="([^"]*)" data-value="([^"]+)"><title>([\d-]+)', chart)
    return {(period, series): value for series, value, period in bars}


def _table_data(chart: str) -> dict[tuple[str, str], str]:
    table = re.search(r"<table><caption>.*?</caption>(.*?)</table>", chart, re.S)
    assert table is not None, "no table of the chart's numbers"
    heads = re.findall(r'<th class="num" scope="col">([^<]+)</th>', table.group(1))[:-1] or [""]
    data = {}
    for period, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table.group(1)):
        values = re.findall(r'<td class="num(?: total)?">([^<]+)</td>', cells)
        values = values[:-1] if heads != [""] else values  # the total, when there are series
        data.update(
            {
                (period, head): value
                for head, value in zip(heads, values, strict=True)
                if value != "0.00"
            }
        )
    return data  # fmt: skip


def test_the_table_under_a_chart_holds_the_numbers_of_its_bars(db: None, root: Client) -> None:
    now = _now()
    today = dt.datetime.combine(now.date(), dt.time(), UTC)
    DatabaseSink().write(
        [
            make_record(at=max(now - dt.timedelta(minutes=3), today), cost="0.0005"),
            make_record(at=max(now - dt.timedelta(minutes=2), today), provider="anthropic", model="claude-haiku-4-5", cost="1.25"),
            make_record(at=now - dt.timedelta(days=2), cost="0.75"),
        ]
    )  # fmt: skip
    html = root.get(f"{DASHBOARD}?days=7").content.decode()
    chart = _section(html, "provider-spend")
    bars = _chart_data(chart)
    assert bars == _table_data(chart)
    assert (now.date().isoformat(), "openai") in bars
    assert bars[(now.date().isoformat(), "anthropic")] == "1.25"
    # Each provider has a pattern of its own besides its colour.
    patterns = re.findall(r'<pattern id="(provider-chart-s\d)"', chart)
    assert patterns == ["provider-chart-s0", "provider-chart-s1"]
    spend = _section(html, "spend")
    assert _chart_data(spend) == _table_data(spend)


def test_one_bucket_of_the_spend_chart_is_one_narrow_bar_with_its_amount() -> None:
    start = dt.datetime(2026, 3, 10, tzinfo=UTC)
    bucket = TimeBucket(start=start, requests=3, failed=0, total_tokens=10, cost_usd=Decimal("0.0005"), latency_avg_ms=1.0)  # fmt: skip
    days = [start - dt.timedelta(days=offset) for offset in range(6, -1, -1)]
    svg = str(spend_chart_svg([bucket], starts=days))
    assert svg.count('class="bar"') == 1
    assert re.findall(r'<text class="day"[^>]*>([^<]+)</text>', svg)[-1] == "03-10"
    assert "2026-03-10: $0.0005 (3 requests)" in svg
    width = re.search(r'<rect class="bar" x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)
    assert width is not None
    assert float(width.group(1)) <= 48  # of a 636 px wide plot


def test_amounts_over_bars_that_would_overlap_are_left_to_the_table() -> None:
    columns = [
        ChartColumn(key=f"d{index:02}", tick=f"{index}", values={"": Decimal("123.45")})
        for index in range(60)
    ]
    svg = str(bar_chart_svg("c", "crowded", columns, [""]))
    written = re.findall(r'<text class="value" x="([\d.]+)"', svg)
    assert 0 < len(written) < 60
    centres = [float(x) for x in written]
    assert all(b - a >= 6.4 * len("$123.45") for a, b in itertools.pairwise(centres))
    assert svg.count('<td class="num total">123.45</td>') == 60  # every amount in the table


def test_with_no_request_the_page_says_so_instead_of_a_zero_rate(db: None, root: Client) -> None:
    html = root.get(DASHBOARD).content.decode()
    assert "No requests in this period" in html
    assert "0.0%" not in html
    assert 'id="success-rate"' not in html
    assert '<td id="total-requests">0</td>' in html


def test_the_page_says_when_its_data_is_from_and_can_reload_itself(tiny: Any, root: Client) -> None:
    html = root.get(DASHBOARD).content.decode()
    as_of = re.search(r'<p class="note" id="as-of">(.*?)</p>', html, re.S)
    assert as_of is not None
    assert re.search(r"Data as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", as_of.group(1))
    assert "the newest request recorded started" in as_of.group(1)
    assert "flush_interval_seconds" in as_of.group(1)
    assert 'http-equiv="refresh"' not in html
    refreshing = root.get(f"{DASHBOARD}?refresh=1").content.decode()
    assert '<meta http-equiv="refresh" content="60">' in refreshing
    assert '<input type="hidden" name="refresh" value="1">' in refreshing


def test_staff_never_see_the_tenant_they_asked_for_echoed_in_the_reload_link(
    tiny: Any, django_user_model: Any
) -> None:
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    with tenant_context(str(tiny.pk)):
        html = client.get(f"{DASHBOARD}?tenant=globex-secret").content.decode()
    assert "globex-secret" not in html


# ----------------------------------------------------------------------------- LLM admin pages


def test_the_policy_and_spend_admin_pages_name_the_tenant(tiny: Any, root: Client) -> None:
    BudgetSpend.objects.create(
        tenant_id=str(tiny.pk), period="day", period_start=_now().date(), spent_micros=500
    )
    policies = root.get("/admin/netrun_llm/tenantpolicyrecord/").content.decode()
    assert '<th class="field-tenant"><a href=' in policies
    assert "Acme Corp</a>" in policies
    assert "0.0005 / 0.05 USD" in policies
    assert str(tiny.pk) not in policies
    record = TenantPolicyRecord.objects.get()
    detail = root.get(f"/admin/netrun_llm/tenantpolicyrecord/{record.pk}/change/").content.decode()
    assert "<h2>LLM policy of Acme Corp</h2>" in detail
    assert "&rsaquo; LLM policy of Acme Corp" in detail
    spend = root.get("/admin/netrun_llm/budgetspend/").content.decode()
    assert "Acme Corp" in spend
    assert "0.0005" in spend
    assert str(tiny.pk) not in spend


def test_the_policy_delete_and_history_pages_name_the_tenant(tiny: Any, root: Client) -> None:
    record = TenantPolicyRecord.objects.get()
    base = f"/admin/netrun_llm/tenantpolicyrecord/{record.pk}"
    for page in (f"{base}/delete/", f"{base}/history/"):
        html = root.get(page).content.decode()
        assert "LLM policy of Acme Corp" in html
        assert str(tiny.pk) not in html
    assert str(record) == "LLM policy of Acme Corp"


def test_the_llm_admin_lists_find_a_tenant_by_name_or_slug(tiny: Any, root: Client) -> None:
    other = Tenant.objects.create(slug="globex", name="Globex Corporation")
    TenantPolicyRecord.objects.create(tenant_id=str(other.pk), daily_budget_usd=Decimal("1"))
    policies = "/admin/netrun_llm/tenantpolicyrecord/"
    assert root.get(policies, {"q": "acme c"}).context["cl"].result_count == 1
    found = root.get(policies, {"q": "globex"})
    assert found.context["cl"].result_count == 1
    assert "Globex Corporation</a>" in found.content.decode()
    assert root.get(policies, {"q": "initech"}).context["cl"].result_count == 0


def test_a_superuser_picks_a_policys_tenant_by_name(tiny: Any, root: Client) -> None:
    Tenant.objects.create(slug="globex", name="Globex Corporation")
    record = TenantPolicyRecord.objects.get()
    detail = root.get(f"/admin/netrun_llm/tenantpolicyrecord/{record.pk}/change/")
    select = re.search(r'<select name="tenant_id".*?</select>', detail.content.decode(), re.S)
    assert select is not None
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]+)</option>', select.group(0))
    assert [(label, bool(selected)) for _, selected, label in options] == [
        ("---------", False),
        ("Acme Corp", True),
        ("Globex Corporation", False),
    ]
    assert str(tiny.pk) not in select.group(0).replace(f'value="{tiny.pk}"', "")
    # A policy of an ID that names no tenant keeps it (shown as it is), never another's.
    legacy = TenantPolicyRecord.objects.create(tenant_id="legacy-tenant")
    page = root.get(f"/admin/netrun_llm/tenantpolicyrecord/{legacy.pk}/change/").content.decode()
    assert '<option value="legacy-tenant" selected>legacy-tenant</option>' in page


@pytest.mark.parametrize("given", ["Acme Corp", "acme corp", "ACME"])
def test_a_superuser_filters_on_a_tenant_by_name_or_slug(
    tiny: Any, root: Client, given: str
) -> None:
    globex = Tenant.objects.create(slug="globex", name="Globex Corporation")
    DatabaseSink().write([make_record(at=_now(), tenant_id=str(globex.pk), cost="7.00")])
    html = root.get(DASHBOARD, {"tenant": given}).content.decode()
    assert '<td id="total-requests">1</td>' in html
    assert "tenant Acme Corp" in html
    assert "Globex" not in html
