"""The dashboard's user, API key and tag filters and its "top users / keys / tags" table."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from netrun.llm.telemetry.sinks.database import DatabaseSink
from tests.llm.telemetry.conftest import make_record

DASHBOARD = "/admin/netrun_llm/dashboard/"


def _seed() -> None:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    refused = make_record(at=now, user_id="bob", success=False, cost=None, tags=("export",))
    refused.error_type = "budget:scope_budget"
    DatabaseSink().write(
        [
            make_record(at=now, user_id="alice", api_key="svc-a", cost="2.00", tags=("summary",)),
            make_record(at=now, user_id="alice", cost="1.00", tags=("summary", "search")),
            make_record(at=now, user_id="bob", api_key="svc-b", cost="0.50", tags=("search",)),
            make_record(at=now, cost="0.25"),
            refused,
        ]
    )


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.S)
    assert match is not None, f"no section {section_id}"
    return match.group(1)


def _rows(html: str) -> list[list[str]]:
    body = _section(html, "top-scopes")
    return [
        [re.sub(r"<.*?>", "", cell).strip() for cell in re.findall(r"<td.*?</td>", row, re.S)]
        for row in re.findall(r"<tr>(<td.*?)</tr>", body, re.S)
    ]


def _get(client: Client, query: str) -> str:
    response = client.get(f"{DASHBOARD}?{query}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def admin(client: Client, admin_user: Any) -> Client:
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_the_top_table_ranks_users_keys_and_tags_by_cost(admin: Client) -> None:
    _seed()
    users = _rows(_get(admin, "days=1"))
    # key, requests, success, refused, tokens, cost, unpriced, latency
    assert [(row[0], row[1], row[3], row[5]) for row in users] == [
        ("alice", "2", "0", "3.00"),
        ("bob", "2", "1", "0.50"),
        ("-", "1", "0", "0.25"),
    ]
    keys = _rows(_get(admin, "days=1&top=key"))
    assert [(row[0], row[5]) for row in keys] == [
        ("svc-a", "2.00"),
        ("-", "1.25"),
        ("svc-b", "0.50"),
    ]
    html = _get(admin, "days=1&top=tag")
    assert "Top feature tags by cost" in html
    tags = _rows(html)
    assert [(row[0], row[1], row[3]) for row in tags] == [
        ("summary", "2", "0"),
        ("search", "2", "0"),
        ("export", "1", "1"),
    ]


@pytest.mark.django_db
def test_the_filters_keep_one_user_key_or_tag(admin: Client) -> None:
    _seed()
    html = _get(admin, "days=1&tag=search")
    assert re.search(r'id="total-requests">2<', html)
    assert ", tag search" in html
    assert re.search(r'id="total-requests">1<', _get(admin, "days=1&key=svc-b"))
    html = _get(admin, "days=1&user=bob")
    assert re.search(r'id="total-requests">2<', html)
    assert "scope_budget" in _section(html, "refusals")
    html = _get(admin, "days=1&user=alice&tag=search&top=tag")
    assert [(row[0], row[1]) for row in _rows(html)] == [("search", "1"), ("summary", "1")]
    # The inputs keep what was asked.
    assert 'name="user" value="alice"' in html
    assert '<option value="tag" selected>' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("tag=Bad%20Tag", "Tag"),
        ("key=sk%20secret%21", "API key"),
        ("user=" + "u" * 65, "User"),
        ("user=%3Cscript%3E", "User"),
        ("top=team", "Top"),
    ],
)
def test_a_bad_filter_is_a_form_error_not_a_500(admin: Client, query: str, field: str) -> None:
    _seed()
    html = _get(admin, f"days=1&{query}")
    errors = re.search(r'<ul class="errorlist" id="filter-errors">(.*?)</ul>', html, re.S)
    assert errors is not None
    assert f"<li>{field}: " in errors.group(1)
    # The bad filter is left out: every request of the window is shown.
    assert re.search(r'id="total-requests">5<', html)
    assert "<script>" not in html.split("<body", 1)[1]
