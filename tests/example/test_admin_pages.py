"""The example's admin pages of tenant-scoped models render inside the row's tenant (SQLite).

The admin returns its pages unrendered; the raw-ID widget of ``Comment.ticket`` looks the
ticket up while the template renders. These pages answered 500 ``TENANT_CONTEXT_MISSING``
when rendering ran after the admin's tenant context had exited.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.example.test_example_project import manage

# Runs inside the example project after migrate + seed_demo.
PROBE = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from example_project.helpdesk.models import Comment
from netrun.rbac.models import Tenant
from netrun.rbac.scope import unscoped

acme = Tenant.objects.get(slug="acme")
with unscoped(reason="admin probe"):
    comment = Comment.objects.get(tenant=acme)
    ticket = comment.ticket
users = get_user_model()
alice = users.objects.get(username="alice")  # member of acme
alice.is_staff = True
alice.save()
alice.user_permissions.add(*Permission.objects.filter(content_type__app_label="helpdesk"))
pages = {}
for who, user in (("staff", alice), ("superuser", users.objects.get(username="admin"))):
    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    client.force_login(user)
    change_url = f"/admin/helpdesk/comment/{comment.pk}/change/"
    invalid = {"ticket": ticket.pk, "kind": "note", "body": ""}
    for name, response in (
        ("list", client.get("/admin/helpdesk/comment/")),
        ("change", client.get(change_url)),
        ("change_invalid", client.post(change_url, invalid)),
        ("history", client.get(f"/admin/helpdesk/comment/{comment.pk}/history/")),
        ("delete", client.get(f"/admin/helpdesk/comment/{comment.pk}/delete/")),
    ) + ((
        ("add", client.get("/admin/helpdesk/comment/add/")),
        ("add_invalid", client.post("/admin/helpdesk/comment/add/", invalid)),
    ) if who == "staff" else ()):
        body = response.content.decode()
        pages[f"{who}:{name}"] = {
            "status": response.status_code,
            "ticket_label": ticket.title in body,
            "required": "This field is required" in body,
        }
print("RESULT " + json.dumps(pages))
"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    database = Path(tmp_path_factory.mktemp("admin")) / "db.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    manage("migrate", "--no-input", env=env)
    manage("seed_demo", "--password", "admin-pages-pw", env=env)
    output = manage("shell", "-c", PROBE, env=env).stdout
    [line] = [line for line in output.splitlines() if line.startswith("RESULT ")]
    result: dict[str, dict[str, Any]] = json.loads(line.removeprefix("RESULT "))
    return result


@pytest.mark.slow
def test_every_comment_admin_page_answers_200(pages: dict[str, dict[str, Any]]) -> None:
    assert {name: page["status"] for name, page in pages.items()} == dict.fromkeys(pages, 200)
    assert len(pages) == 12


@pytest.mark.slow
def test_the_raw_id_widget_shows_the_ticket_on_the_change_page(
    pages: dict[str, dict[str, Any]],
) -> None:
    for who in ("staff", "superuser"):
        assert pages[f"{who}:change"]["ticket_label"]
        assert pages[f"{who}:change_invalid"]["ticket_label"]


@pytest.mark.slow
def test_an_invalid_add_is_the_form_again_with_its_errors(
    pages: dict[str, dict[str, Any]],
) -> None:
    assert pages["staff:add_invalid"]["required"]
    assert pages["staff:add_invalid"]["ticket_label"]
    assert pages["superuser:change_invalid"]["required"]
