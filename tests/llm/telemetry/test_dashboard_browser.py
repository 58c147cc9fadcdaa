"""The LLM dashboard in headless Chromium: one page load, then a screenshot.

Debian's ``chromium`` and ``chromium-driver`` packages provide the browser and the driver
(``.ci/run`` installs them). Without them the test is skipped on a developer's machine and
FAILS when ``CI=true``. The full-page screenshot is written to
``test-artefacts/llm-dashboard.png`` for a person to look at.
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
from django.contrib import admin
from django.test import Client
from django.urls import path

from netrun.llm.admin_dashboard import llm_dashboard_view
from netrun.llm.models import TenantPolicyRecord
from netrun.llm.telemetry.sinks.database import DatabaseSink
from tests.llm.telemetry.conftest import make_record

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTEFACTS = Path(__file__).resolve().parents[3] / "test-artefacts"

# The URLconf of this module's test (tests/urls.py does not route the dashboard).
urlpatterns = [
    path(
        "admin/llm/dashboard/",
        admin.site.admin_view(llm_dashboard_view),
        name="netrun_llm_dashboard",
    ),
    path("admin/", admin.site.urls),
]


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
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _seed() -> None:
    moment = dt.datetime.now(dt.timezone.utc)
    today = dt.datetime.combine(moment.date(), dt.time(), dt.timezone.utc)

    def ago(**delta: float) -> dt.datetime:
        return max(moment - dt.timedelta(**delta), today)

    TenantPolicyRecord.objects.create(
        tenant_id="acme", daily_budget_usd=Decimal("5"), monthly_budget_usd=Decimal("60")
    )
    DatabaseSink().write(
        [
            make_record(at=ago(minutes=30), tenant_id="acme", cost="2.10", latency_ms=420),
            make_record(at=ago(minutes=20), tenant_id="acme", provider="anthropic", model="claude-haiku-4-5", cost="1.40", latency_ms=180),
            make_record(at=ago(minutes=10), tenant_id="acme", success=False, cost=None, correlation_id="corr-browser"),
            make_record(at=ago(minutes=5), tenant_id="acme", success=False, cost=None, error_type="policy:model_denied"),
            make_record(at=moment - dt.timedelta(days=2), tenant_id="acme", cost="3.00"),
            make_record(at=moment - dt.timedelta(days=1), tenant_id="acme", provider="anthropic", model="claude-haiku-4-5", cost="0.90"),
        ]
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_renders_in_headless_chromium(
    live_server: Any, chromium: Any, admin_user: Any
) -> None:
    from selenium.webdriver.common.by import By

    _seed()
    client = Client()
    client.force_login(admin_user)
    # Log in by cookie, set before the one and only page load.
    chromium.execute_cdp_cmd(
        "Network.setCookie",
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": live_server.url,
        },
    )
    chromium.get(f"{live_server.url}/admin/llm/dashboard/?days=7")

    assert chromium.find_element(By.TAG_NAME, "h1").text == "LLM spend"
    assert chromium.find_element(By.ID, "total-requests").text == "6"
    assert chromium.find_element(By.ID, "success-rate").text == "66.7%"
    chart = chromium.find_element(By.CSS_SELECTOR, 'svg[aria-label="spend per day by provider"]')
    bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
    assert len(bars) == 4  # one on each earlier day, two stacked today
    assert all(bar.size["height"] > 0 for bar in bars)
    legend = [item.text for item in chart.find_elements(By.CSS_SELECTOR, "g.legend text")]
    assert legend == ["anthropic", "openai"]
    budget_bars = chromium.find_elements(By.CSS_SELECTOR, "#budgets svg.budget-bar")
    assert len(budget_bars) == 2  # today and this month
    assert budget_bars[0].find_element(By.CSS_SELECTOR, "rect.used").size["width"] > 0
    assert "model_denied" in chromium.find_element(By.ID, "refusals").text
    assert "corr-browser" in chromium.find_element(By.ID, "failures").text
    # Nothing came from another origin: no CDN, no external font or script.
    resources = chromium.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert [url for url in resources if not url.startswith(live_server.url)] == []

    # Chromium's own full-page capture: the whole document, not just the window.
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
    (ARTEFACTS / "llm-dashboard.png").write_bytes(png)


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
