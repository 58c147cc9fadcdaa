"""The example's home page: styled without a CDN, names the demo logins, and every link answers.

The page is fetched in the example project (a subprocess, its settings read from the
environment) after ``migrate`` and ``seed_demo``, and every link on it is followed with the
test client, anonymously and as the seeded superuser; none answers 404 or a 5xx. In
production without ``LLM_METRICS_TOKEN`` ``/metrics/`` is not routed, so the page has no
link to it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.example.test_example_project import PRODUCTION, manage

# Runs inside the example project: the home page, then each of its links, twice.
#: seed_demo's members (username, tenant name, role); the probe checks they exist.
DEMO_MEMBERS = (("alice", "Acme Corp", "agent"), ("gus", "Globex Corporation", "admin"))

PROBE = """
import json
from html.parser import HTMLParser

from django.contrib.auth import get_user_model
from django.test import Client


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.assets = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in {"link", "script", "img", "iframe"}:
            self.assets.append(attrs.get("href") or attrs.get("src"))


HOST = {"HTTP_HOST": HOST_NAME, "secure": SECURE}
home = Client().get("/", **HOST)
page = home.content.decode()
links = Links()
links.feed(page)
answers = {}
admin = get_user_model().objects.get(username="admin")
for who in ("anonymous", "admin"):
    client = Client(raise_request_exception=False)
    if who == "admin":
        client.force_login(admin)
    answers[who] = {href: client.get(href, **HOST).status_code for href in links.hrefs}
print(json.dumps({"status": home.status_code, "page": page, "hrefs": links.hrefs,
                  "assets": links.assets, "answers": answers,
                  "users": sorted(get_user_model().objects.values_list("username", flat=True))}))
"""


def _probe(env: dict[str, str], *, host: str, secure: bool) -> dict[str, object]:
    manage("migrate", "--no-input", env=env)
    manage("seed_demo", env=env)
    code = PROBE.replace("HOST_NAME", repr(host)).replace("SECURE", repr(secure))
    output = manage("shell", "-c", code, env=env).stdout
    found: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return found


@pytest.mark.slow
def test_home_page_explains_the_demo_and_every_link_answers(tmp_path: Path) -> None:
    found = _probe(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}, host="127.0.0.1", secure=False
    )
    assert found["status"] == 200
    page = str(found["page"])
    # Styled by its own stylesheet; nothing is loaded from another host.
    assert "<style>" in page
    assert found["assets"] == []
    assert not re.search(r"https?://", page)
    # Where the logins are: every seeded username, and where their passwords are printed.
    assert found["users"] == ["admin", "alice", "gus"]  # the logins the page names exist
    for username, name, role in DEMO_MEMBERS:
        assert f"<code>{username}</code>" in page
        assert name in page
        assert f"<td>{role}</td>" in page
    assert "<code>admin</code>" in page
    assert "printed in the terminal by\n      <code>make run</code>" in page
    # What to try: the API, its docs, the admin, the dashboard, health and metrics.
    hrefs = found["hrefs"]
    assert hrefs == [
        "/api/docs/",
        "/api/tickets/",
        "/admin/",
        "/admin/netrun_llm/dashboard/",
        "/api/schema/",
        "/health/",
        "/metrics/",
    ]
    answers = found["answers"]
    assert isinstance(answers, dict)
    for who in ("anonymous", "admin"):
        broken = {href: code for href, code in answers[who].items() if code == 404 or code >= 500}
        assert broken == {}, who
    assert answers["anonymous"]["/api/tickets/"] == 401
    assert answers["anonymous"]["/admin/netrun_llm/dashboard/"] == 302  # to the admin login
    assert answers["admin"]["/admin/netrun_llm/dashboard/"] == 200
    assert answers["admin"]["/admin/"] == 200
    assert answers["anonymous"]["/api/docs/"] == 200


@pytest.mark.slow
def test_production_home_page_links_only_to_routed_pages(tmp_path: Path) -> None:
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    found = _probe(env, host="helpdesk.example.com", secure=True)
    assert found["status"] == 200
    assert "/metrics/" not in found["hrefs"]
    answers = found["answers"]
    assert isinstance(answers, dict)
    for who in ("anonymous", "admin"):
        broken = {href: code for href, code in answers[who].items() if code == 404 or code >= 500}
        assert broken == {}, who
