"""The example API fuzzed against its own schema, on PostgreSQL with row-level security.

Schemathesis (``st run``) reads ``/api/schema/`` from the example served by gunicorn as the
app role of ``seeded_rls_database`` (the owner migrated, RLS forced), authenticated as alice,
an agent of Acme. Every operation, every check, every phase (examples, coverage, fuzzing, and
the stateful phase, which follows the schema's links from a created ticket to the operations
on it), a bounded number of examples per operation and a fixed seed. It must find no server
error and no response that breaks the schema; and no row of Globex, the other tenant, may be
seen or touched: Globex's rows are unchanged, every row the run created is Acme's, and no
answer the fuzzer received carries Globex's ID or data.

The server runs with DEBUG off, as in production (Django's debug pages are not the API's
contract), and the offline LLM provider, which system check netrun.llm.E001 refuses outside
development: gunicorn runs no checks, and the summaries here need no real model.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.example.conftest import MEMBER_PASSWORD
from tests.example.test_example_project import ROOT, _get_when_up

if TYPE_CHECKING:
    from tests.example.conftest import RLSDatabase

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BIN = Path(sys.executable).parent
#: Examples per operation and phase: bounded, so the whole run stays well under 3 minutes.
MAX_EXAMPLES = 10
#: Fixed, so a failure replays; NETRUN_FUZZ_SEED explores others.
SEED = int(os.environ.get("NETRUN_FUZZ_SEED", "19"))


@contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[str]:
    """The example under gunicorn on a free loopback port; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APP_"))}
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "CACHE_URL", "REDIS_URL"):
        base.pop(name, None)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "example_project.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"],
        cwd=ROOT, env={**base, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _rows(database: RLSDatabase) -> dict[str, list[tuple[Any, ...]]]:
    """Every ticket and comment, as the superuser (who bypasses RLS) sees them."""
    import psycopg

    with psycopg.connect(database.admin_dsn) as conn:
        return {
            "tenants": conn.execute("SELECT slug, id::text FROM netrun_rbac_tenant").fetchall(),
            "tickets": conn.execute(
                "SELECT id, tenant_id::text, title, status FROM helpdesk_ticket ORDER BY id"
            ).fetchall(),
            "comments": conn.execute(
                "SELECT id, tenant_id::text, ticket_id, body FROM helpdesk_comment ORDER BY id"
            ).fetchall(),
        }


def _token(url: str) -> str:
    body = json.dumps({"username": "alice", "password": MEMBER_PASSWORD}).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{url}/api/token/", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return str(json.loads(response.read())["access_token"])


def test_schemathesis_finds_no_server_error_no_schema_violation_and_no_other_tenant(
    seeded_rls_database: RLSDatabase, tmp_path: Path
) -> None:
    database = seeded_rls_database
    before = _rows(database)
    tenants = dict(before["tenants"])
    acme, globex = tenants["acme"], tenants["globex"]
    unlimited = "1000000/m"  # the fuzzer's requests are not what these limits are about
    env = {
        **database.env,
        "DJANGO_DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LLM_PROVIDER_CHAIN": "offline",
        "API_RATE_USER": unlimited,
        "API_RATE_TENANT": unlimited,
        "API_RATE_LOGIN": unlimited,
    }
    with gunicorn(env) as url:
        _get_when_up(f"{url}/health/")
        token = _token(url)
        run = subprocess.run(
            [str(BIN / "st"), "run", f"{url}/api/schema/",
             "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
             "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "1",
             "--header", f"Authorization: Bearer {token}", "--request-timeout", "30",
             "--generation-database", "none", "--no-color",
             # Every string field refuses NUL on purpose (PostgreSQL text cannot hold it):
             # valid data has none. Invalid data still may, and must still be refused.
             "--generation-allow-x00", "false",
             "--report", "json,vcr", "--report-dir", str(tmp_path)],
            cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
    (report_path,) = tmp_path.glob("json-*.json")
    report = json.loads(report_path.read_text())
    summary = {
        "exit_code": run.returncode,
        "operations": report["operations"],
        "test_cases": report["test_cases"],
        "failures": report["failures"],
        "errors": report["errors"],
        "phases": report["phases"],
        "running_time": report["running_time"],
    }
    print(json.dumps(summary))  # the counts, in the test log
    assert run.returncode == 0, run.stdout[-8000:]
    assert report["failures"] == []
    assert report["errors"] == []
    assert report["operations"]["tested"] == report["operations"]["total"] == 10
    assert report["test_cases"]["generated"] > 100
    phases = {name: phase["status"] for name, phase in report["phases"].items()}
    # The schema has no explicit examples: that phase has nothing to send.
    assert phases == {
        "examples": "skip", "coverage": "success", "fuzzing": "success", "stateful": "success",
    }  # fmt: skip

    after = _rows(database)
    # Globex's rows: not one touched.
    assert [row for row in after["tickets"] if row[1] == globex] == [
        row for row in before["tickets"] if row[1] == globex
    ]
    assert [row for row in after["comments"] if row[1] == globex] == [
        row for row in before["comments"] if row[1] == globex
    ]
    # What the run created is Acme's, and it did create (the stateful phase followed links).
    created = [row for row in after["tickets"] if row not in before["tickets"]]
    assert created
    assert {row[1] for row in created} == {acme}
    new_comments = [row for row in after["comments"] if row not in before["comments"]]
    assert {row[1] for row in new_comments} <= {acme}
    # No answer carried Globex: its ID, its tickets' titles or its comments' bodies.
    (cassette,) = tmp_path.glob("vcr-*.yaml")
    answers = cassette.read_text()
    # (seed_demo gives both tenants the same first comment: only Globex's own texts count.)
    acme_texts = {row[2] for row in before["tickets"] if row[1] == acme}
    acme_texts |= {row[3] for row in before["comments"] if row[1] == acme}
    globex_data = [globex] + [row[2] for row in before["tickets"] if row[1] == globex]
    globex_data += [row[3] for row in before["comments"] if row[1] == globex]
    globex_data = [value for value in globex_data if value not in acme_texts]
    assert len(globex_data) >= 2  # its ID and its ticket's title at least
    assert [value for value in globex_data if value in answers] == []
    assert "Welcome to Acme Corp" in answers  # the scan reads the answers: Acme's are there
