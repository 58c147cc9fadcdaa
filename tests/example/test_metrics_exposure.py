"""The example's ``/metrics/`` in production: closed to anonymous users, open to the scraper's
bearer token (``LLM_METRICS_TOKEN``) and to staff sessions, not routed without a token."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.example.test_example_project import PRODUCTION, manage

TOKEN = "prometheus-scrape-token-1234567890"

PROBE = """
import json
from django.contrib.auth import get_user_model
from django.test import Client

users = get_user_model()
staff = users.objects.create_user("ops", password="pw", is_staff=True)
member = users.objects.create_user("member", password="pw")
host = {"HTTP_HOST": "helpdesk.example.com", "secure": True}

def status(user=None, **headers):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    response = client.get("/metrics/", **host, **headers)
    return [response.status_code, response.get("WWW-Authenticate", ""),
            b"netrun_llm" in response.content or b"python_info" in response.content]

print("RESULT " + json.dumps({
    "anonymous": status(),
    "wrong_token": status(HTTP_AUTHORIZATION="Metrics not-the-token"),
    # The JWT middleware reads every Bearer header as a JWT: the scraper's scheme is Metrics.
    "token": status(HTTP_AUTHORIZATION="Metrics TOKEN"),
    "member": status(member),
    "staff": status(staff),
}))
"""


def _probe(env: dict[str, str]) -> dict[str, Any]:
    manage("migrate", "--no-input", env=env)
    output = manage("shell", "-c", PROBE.replace("TOKEN", TOKEN), env=env).stdout
    [line] = [line for line in output.splitlines() if line.startswith("RESULT ")]
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


@pytest.mark.slow
def test_production_metrics_need_the_token_or_a_staff_session(tmp_path: Path) -> None:
    env = {
        **PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LLM_METRICS_TOKEN": TOKEN,
    }
    result = _probe(env)
    assert result["anonymous"] == [401, 'Bearer realm="metrics"', False]
    assert result["wrong_token"][0] == 401
    assert result["token"] == [200, "", True]
    assert result["member"][:2] == [403, ""]
    assert result["staff"] == [200, "", True]
    # With a token the deploy checks stay clean (no netrun.llm.W004).
    check = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert "System check identified no issues" in check.stdout


@pytest.mark.slow
def test_production_without_a_token_does_not_route_the_metrics(tmp_path: Path) -> None:
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = _probe(env)
    for case in ("anonymous", "token", "staff"):
        assert result[case][0] == 404
        assert result[case][2] is False
