"""The LLM dashboard and admin pages in headless Chromium, and the docs' screenshots of them.

Debian's ``chromium`` and ``chromium-driver`` packages provide the browser and the driver
(``.ci/run`` installs them). Without them the test is skipped on a developer's machine and
FAILS when ``CI=true``.

Every run writes full-page screenshots of the dashboard and of the LLM admin pages to
``test-artefacts/`` for a person to look at. The same images are the docs' (``docs/img/``,
shown in ``docs/apps/llm.md``): a run writes them there when one is missing or when
``NETRUN_UPDATE_SCREENSHOTS=1`` is set, so the docs are refreshed by running this test, not
by hand, and an ordinary run leaves the working tree clean (the pages show today's date: the
images differ on every run). ``tests/docs/test_screenshots.py`` fails when one is missing.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from netrun.llm.models import BudgetSpend, TenantPolicyRecord
from netrun.llm.telemetry.sinks.database import DatabaseSink
from netrun.rbac.models import Tenant
from tests.llm.telemetry.conftest import make_record

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[4]
ARTEFACTS = ROOT / "test-artefacts"
#: Where the docs' screenshots live, and the env var that makes a run rewrite them.
DOCS_IMAGES = ROOT / "docs" / "img"
UPDATE_SCREENSHOTS = "NETRUN_UPDATE_SCREENSHOTS"
#: The screenshots this module takes, each shown in docs/apps/llm.md.
SCREENSHOTS = (
    "llm-dashboard.png",
    "llm-admin-index.png",
    "llm-admin-policies.png",
    "llm-admin-policy.png",
)
DASHBOARD = "/admin/netrun_llm/dashboard/"


def _require_chromium() -> None:
    """Skip without Chromium, the driver or selenium; fail instead under ``CI=true``."""
    missing = [str(binary) for binary in (CHROMIUM, CHROMEDRIVER) if not binary.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (the test dependency group)")
    if not missing:
        return
    message = (
        f"headless Chromium is not available (missing: {', '.join(missing)}); install "
        "chromium with: apt-get install chromium chromium-driver"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def chromium() -> Iterator[Any]:
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1400,900")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _seed() -> tuple[Any, Any]:
    """Two named tenants: Acme with a week of spend on two providers, Globex with $0.0005."""
    moment = dt.datetime.now(dt.timezone.utc)
    today = dt.datetime.combine(moment.date(), dt.time(), dt.timezone.utc)

    def ago(**delta: float) -> dt.datetime:
        return max(moment - dt.timedelta(**delta), today)

    acme = Tenant.objects.create(slug="acme", name="Acme Corp")
    globex = Tenant.objects.create(slug="globex", name="Globex Corporation")
    a, g = str(acme.pk), str(globex.pk)
    TenantPolicyRecord.objects.create(
        tenant_id=a, daily_budget_usd=Decimal("5"), monthly_budget_usd=Decimal("60")
    )
    TenantPolicyRecord.objects.create(tenant_id=g, daily_budget_usd=Decimal("0.05"))
    BudgetSpend.objects.create(
        tenant_id=a, period="day", period_start=moment.date(), spent_micros=3_500_000
    )
    BudgetSpend.objects.create(
        tenant_id=g, period="day", period_start=moment.date(), spent_micros=500
    )
    DatabaseSink().write(
        [
            make_record(at=ago(minutes=30), tenant_id=a, cost="2.10", latency_ms=420, user_id="alice", tags=("ticket-summary",)),
            make_record(at=ago(minutes=20), tenant_id=a, provider="anthropic", model="claude-haiku-4-5", cost="1.40", latency_ms=180, user_id="bob", api_key="svc-reports", tags=("ticket-summary", "search")),
            make_record(at=ago(minutes=10), tenant_id=a, success=False, cost=None, correlation_id="corr-browser"),
            make_record(at=ago(minutes=5), tenant_id=a, success=False, cost=None, error_type="policy:model_denied"),
            make_record(at=moment - dt.timedelta(days=2), tenant_id=a, cost="3.00"),
            make_record(at=moment - dt.timedelta(days=1), tenant_id=a, provider="anthropic", model="claude-haiku-4-5", cost="0.90"),
            make_record(at=ago(minutes=3), tenant_id=g, model="gpt-4o-mini", cost="0.0005", latency_ms=240),
        ]
    )  # fmt: skip
    return acme, globex


def _screenshot(chromium: Any, name: str, *, docs_image: bool = True) -> None:
    """Chromium's own full-page capture (the whole document, not just the window), written
    to test-artefacts/ and, when missing or asked for, to the docs (``docs_image=False``:
    test-artefacts/ only)."""
    size = chromium.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    capture = chromium.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    png = base64.b64decode(capture["data"])
    assert png.startswith(b"\x89PNG")
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / name).write_bytes(png)
    if not docs_image:
        return
    docs = DOCS_IMAGES / name
    if os.environ.get(UPDATE_SCREENSHOTS) == "1" or not docs.exists():
        DOCS_IMAGES.mkdir(exist_ok=True)
        docs.write_bytes(png)


def _submit(chromium: Any, form: Any) -> None:
    """Apply the filters and wait for the next page (the old form goes stale)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(chromium, 20).until(expected_conditions.staleness_of(form))
    WebDriverWait(chromium, 20).until(lambda driver: driver.find_elements(By.ID, "total-requests"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_and_llm_admin_render_in_headless_chromium(
    live_server: Any, chromium: Any, admin_user: Any
) -> None:
    from selenium.webdriver.common.by import By

    acme, globex = _seed()
    client = Client()
    client.force_login(admin_user)
    # Log in by cookie, set before the first page load.
    chromium.execute_cdp_cmd(
        "Network.setCookie",
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        },
    )
    # The dashboard is a page of the admin site: no URL of the project's routes it.
    chromium.get(f"{live_server.url}{DASHBOARD}?days=7")

    assert chromium.find_element(By.TAG_NAME, "h1").text == "LLM spend"
    assert chromium.find_element(By.ID, "total-requests").text == "7"
    assert chromium.find_element(By.ID, "success-rate").text == "71.4%"
    assert chromium.find_element(By.ID, "as-of").text.startswith("Data as of ")
    chart = chromium.find_element(By.CSS_SELECTOR, 'svg[aria-label="spend per day by provider"]')
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    assert len(bars) == 4  # one on each earlier day, two stacked today
    assert all(bar.size["height"] > 0 and bar.size["width"] <= 48 for bar in bars)
    legend = [item.text for item in chart.find_elements(By.CSS_SELECTOR, "g.legend text")]
    assert legend == ["anthropic", "openai"]
    budgets = chromium.find_element(By.ID, "budgets")
    assert "Acme Corp" in budgets.text
    assert "Globex Corporation" in budgets.text
    budget_bars = budgets.find_elements(By.CSS_SELECTOR, "svg.budget-bar")
    assert len(budget_bars) == 3  # Acme's day and month, Globex's day (its month has no limit)
    assert budget_bars[0].find_element(By.CSS_SELECTOR, "rect.used").size["width"] > 0
    assert "0.0005" in budgets.text  # Globex's tiny spend, not 0.00
    assert "model_denied" in chromium.find_element(By.ID, "refusals").text
    assert "corr-browser" in chromium.find_element(By.ID, "failures").text
    assert str(acme.pk) not in chromium.page_source
    assert str(globex.pk) not in chromium.page_source
    # Nothing came from another origin: no CDN, no external font or script.
    resources = chromium.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert [url for url in resources if not url.startswith(live_server.url)] == []
    _screenshot(chromium, "llm-dashboard.png")

    # The user, API key and tag filters, typed into the form and applied as a person would.
    form = chromium.find_element(By.CSS_SELECTOR, "form.filters")
    form.find_element(By.NAME, "tag").send_keys("search")
    form.find_element(By.CSS_SELECTOR, "select[name=top] option[value=key]").click()
    _submit(chromium, form)
    assert "tag=search" in chromium.current_url
    assert chromium.find_element(By.ID, "total-requests").text == "1"
    top = chromium.find_element(By.ID, "top-scopes")
    assert top.find_element(By.TAG_NAME, "h2").text == "Top API keys by cost"
    assert [row.text.split()[0] for row in top.find_elements(By.CSS_SELECTOR, "tbody tr")] == [
        "svc-reports"
    ]
    form = chromium.find_element(By.CSS_SELECTOR, "form.filters")
    tag = form.find_element(By.NAME, "tag")
    tag.clear()
    tag.send_keys("Not A Tag")
    form.find_element(By.NAME, "user").send_keys("alice")
    form.find_element(By.CSS_SELECTOR, "select[name=top] option[value=user]").click()
    _submit(chromium, form)
    # A bad tag is a form error and is left out; the user filter still applies.
    assert chromium.find_element(By.ID, "filter-errors").text.startswith("Tag: ")
    assert chromium.find_element(By.ID, "total-requests").text == "1"
    top = chromium.find_element(By.ID, "top-scopes")
    assert [row.text.split()[0] for row in top.find_elements(By.CSS_SELECTOR, "tbody tr")] == [
        "alice"
    ]
    _screenshot(chromium, "llm-dashboard-filters.png", docs_image=False)

    chromium.get(f"{live_server.url}/admin/")
    link = chromium.find_element(By.CSS_SELECTOR, f'a[href="{DASHBOARD}"]')
    assert link.text == "Spend dashboard"
    _screenshot(chromium, "llm-admin-index.png")

    chromium.get(f"{live_server.url}/admin/netrun_llm/tenantpolicyrecord/")
    tenants = [cell.text for cell in chromium.find_elements(By.CSS_SELECTOR, "th.field-tenant")]
    assert sorted(tenants) == ["Acme Corp", "Globex Corporation"]
    assert "0.0005 / 0.05 USD" in chromium.find_element(By.ID, "result_list").text
    _screenshot(chromium, "llm-admin-policies.png")

    record = TenantPolicyRecord.objects.get(tenant_id=str(acme.pk))
    chromium.get(f"{live_server.url}/admin/netrun_llm/tenantpolicyrecord/{record.pk}/change/")
    assert chromium.find_element(By.CSS_SELECTOR, "#content h2").text == "LLM policy of Acme Corp"
    _screenshot(chromium, "llm-admin-policy.png")


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_a_missing_chromium_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="install chromium"):
        _require_chromium()
