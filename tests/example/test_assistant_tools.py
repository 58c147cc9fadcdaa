"""The helpdesk assistant: a tool that reads only the tenant's own tickets, and its answer
streamed over server-sent events from an async view under uvicorn.

The example project runs in subprocesses (its settings are read from the environment once);
the LLM is netrun's loopback stub, started here and reached by its URL, so what the model was
sent (the tool's result above all) is read from the stub's recorded requests. The tool test
runs on SQLite, where the ORM's tenant filter is the only wall, and on PostgreSQL with
row-level security as the app role; the stream tests on the latter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from netrun.llm.testing import StubLLMServer, StubReply, StubToolCall
from tests.example.conftest import MEMBER_PASSWORD
from tests.example.test_example_project import ROOT, manage
from tests.logging._servers import PYTHON, free_port, running

if TYPE_CHECKING:
    import httpx

    from tests.example.conftest import RLSDatabase

pytestmark = pytest.mark.slow

# Runs inside the example project: a second ticket for each tenant (one of them closed), then
# acme's question through the assistant's agent loop.
ASK = """
import json
from example_project.helpdesk.assistant import answer_question
from example_project.helpdesk.models import Ticket
from netrun.core.context import tenant_context
from netrun.rbac.models import Tenant

acme, globex = Tenant.objects.get(slug="acme"), Tenant.objects.get(slug="globex")
with tenant_context(acme.pk):
    Ticket.objects.get_or_create(title="Acme printer jams")
    Ticket.objects.get_or_create(title="Acme old invoice", status="closed")
with tenant_context(globex.pk):
    Ticket.objects.get_or_create(title="Globex merger plans")
with tenant_context(acme.pk):
    answer = answer_question("Which tickets are open?")
print(json.dumps({"text": answer.text, "provider": answer.provider}))
"""

CORRELATION_ID = "5d2c8e0f1a9b4c7d8e6f0a1b2c3d4e5f"
ACME_OPEN = {"Welcome to Acme Corp", "Acme printer jams"}
GLOBEX = {"Welcome to Globex Corporation", "Globex merger plans"}


def _llm_env(stub: StubLLMServer) -> dict[str, str]:
    return {
        "LLM_PROVIDER_CHAIN": "openai",
        "OPENAI_API_KEY": "sk-test-assistant",
        "LLM_OPENAI_BASE_URL": stub.openai_base_url,
        "LLM_MAX_RETRIES": "0",
    }


def _last_line(output: str) -> Any:
    # `shell` may print a banner line (auto-imports) before the probe's own JSON line.
    return json.loads(output.strip().splitlines()[-1])


def _tool_results(body: Any) -> list[Any]:
    return [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool"]


@pytest.fixture(scope="module")
def sqlite_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    database = tmp_path_factory.mktemp("assistant") / "db.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    manage("migrate", "--no-input", env=env)
    manage("seed_demo", "--member-password", MEMBER_PASSWORD, env=env)
    return env


@pytest.fixture(params=["sqlite", pytest.param("postgresql-rls", marks=pytest.mark.postgres)])
def project_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The example project's database: SQLite (the ORM filter alone) or RLS PostgreSQL."""
    if request.param == "sqlite":
        env: dict[str, str] = request.getfixturevalue("sqlite_env")
        return env
    database: RLSDatabase = request.getfixturevalue("seeded_rls_database")
    return database.env


def test_the_tool_sends_the_model_only_the_requesting_tenants_tickets(
    project_env: dict[str, str],
) -> None:
    with StubLLMServer(lifetime=240) as stub:
        stub.script(
            StubReply(text="", tool_calls=(StubToolCall("list_tickets", {"status": "open"}),)),
            StubReply(text="Two tickets are open."),
        )
        answer = _last_line(
            manage("shell", "-c", ASK, env={**project_env, **_llm_env(stub)}).stdout
        )
        requests = list(stub.requests)

    assert answer == {"text": "Two tickets are open.", "provider": "openai"}
    assert len(requests) == 2
    offered = [tool["function"]["name"] for tool in requests[0].body["tools"]]
    assert offered == ["list_tickets"]
    # The second call carries the tool's result: acme's open tickets, and nothing of globex.
    (result,) = _tool_results(requests[1].body)
    titles = {ticket["title"] for ticket in result}
    assert titles == ACME_OPEN
    assert {ticket["status"] for ticket in result} == {"open"}
    assert not titles & GLOBEX
    assert "Globex" not in json.dumps(requests[1].body)


def test_without_tool_calls_the_offline_provider_answers_at_once(
    sqlite_env: dict[str, str],
) -> None:
    # The development default: the offline provider never calls a tool, so its first answer
    # is the final one.
    answer = _last_line(manage("shell", "-c", ASK, env=sqlite_env).stdout)
    assert answer["provider"] == "offline"
    assert answer["text"].startswith("[offline provider]")


# Runs inside the example project: alice's question through the async view, read with
# Django's async test client, on the development default (the offline provider).
OFFLINE_STREAM = """
import asyncio, json
from django.conf import settings
from django.test import AsyncClient, Client
from tests.example.conftest import MEMBER_PASSWORD

settings.ALLOWED_HOSTS.append("testserver")  # the async test client's host

login = Client().post("/api/token/", {"username": "alice", "password": MEMBER_PASSWORD},
                      content_type="application/json", HTTP_HOST="127.0.0.1")
token = login.json()["access_token"]

async def read():
    headers = {"authorization": "Bearer " + token}
    response = await AsyncClient().get("/api/assistant/stream/", {"q": "What is open?"},
                                       headers=headers)
    if not response.streaming:
        return response.status_code, response.content
    return response.status_code, b"".join([part async for part in response.streaming_content])

status, body = asyncio.run(read())
print(json.dumps({"status": status, "body": body.decode()}))
"""


def test_the_stream_answers_offline_in_development(sqlite_env: dict[str, str]) -> None:
    found = _last_line(manage("shell", "-c", OFFLINE_STREAM, env=sqlite_env).stdout)
    assert found["status"] == 200, found["body"]
    events = list(_events(iter(found["body"].splitlines())))
    deltas = [data["delta"] for name, data in events if name == "message"]
    assert "".join(deltas).startswith("[offline provider]")
    name, done = events[-1]
    assert (name, done["provider"]) == ("done", "offline")
    assert float(done["cost_usd"]) > 0  # the example's nominal price


# --------------------------------------------------------------------------- SSE under ASGI


@pytest.fixture(scope="module")
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(lifetime=600) as server:
        yield server


@pytest.fixture(scope="module")
def asgi_url(
    seeded_rls_database: RLSDatabase, stub: StubLLMServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The example project under uvicorn on a free loopback port, the app role serving."""
    import os

    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APP_"))}
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "CACHE_URL", "REDIS_URL"):
        base.pop(name, None)
    env = {**base, **seeded_rls_database.env, **_llm_env(stub), "PYTHONUNBUFFERED": "1"}
    command = [
        PYTHON, "-m", "uvicorn", "example_project.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    with running(command, env, ROOT, port=port) as output:
        yield f"http://127.0.0.1:{port}"
    log = tmp_path_factory.getbasetemp() / "assistant-uvicorn.log"
    log.write_text(output.text)


def _token(client: httpx.Client, url: str, username: str) -> str:
    login = client.post(
        f"{url}/api/token/", json={"username": username, "password": MEMBER_PASSWORD}
    )
    assert login.status_code == 200, login.text
    return str(login.json()["access_token"])


def _events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """(event name, decoded data) of each server-sent event, as they arrive."""
    name = "message"
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))
            name = "message"


def _tenant_id(database: RLSDatabase, slug: str) -> str:
    import psycopg

    with psycopg.connect(database.admin_dsn) as conn:
        row = conn.execute("SELECT id::text FROM netrun_rbac_tenant WHERE slug = %s", [slug])
        (tenant_id,) = row.fetchone() or ("",)
    return str(tenant_id)


def _usage_records(
    database: RLSDatabase, correlation_id: str, expected: int
) -> list[tuple[str, bool]]:
    """(tenant, success) of the telemetry rows of a request, once ``expected`` are written
    (the collector flushes every 10 seconds) or after a bounded wait."""
    import psycopg

    deadline = time.monotonic() + 40
    while True:
        with psycopg.connect(database.admin_dsn) as conn:
            rows = conn.execute(
                "SELECT tenant_id, success FROM netrun_llm_usage_record "
                "WHERE correlation_id = %s ORDER BY id",
                [correlation_id],
            ).fetchall()
        if len(rows) >= expected or time.monotonic() > deadline:
            return [(str(tenant), bool(success)) for tenant, success in rows]
        time.sleep(0.5)


def _budget(database: RLSDatabase, tenant_slug: str) -> tuple[int, int, int]:
    """The tenant's spent and reserved micro-USD today, and its open reservations."""
    import psycopg

    tenant_id = _tenant_id(database, tenant_slug)
    with psycopg.connect(database.admin_dsn) as conn:
        spend = conn.execute(
            "SELECT spent_micros, reserved_micros FROM netrun_llm_budget_spend "
            "WHERE tenant_id = %s AND period = 'day'",
            [tenant_id],
        ).fetchone() or (0, 0)
        (holds,) = conn.execute(
            "SELECT count(*) FROM netrun_llm_budget_reservation WHERE tenant_id = %s",
            [tenant_id],
        ).fetchone() or (0,)
    return int(spend[0]), int(spend[1]), int(holds)


@pytest.mark.postgres
def test_the_answer_streams_as_server_sent_events_after_the_tool_round(
    asgi_url: str, stub: StubLLMServer, seeded_rls_database: RLSDatabase
) -> None:
    import httpx

    final = "Two tickets are open: the welcome ticket and the printer."
    stub.clear()
    stub.script(
        StubReply(text="", tool_calls=(StubToolCall("list_tickets", {}),)),
        StubReply(text=final),
    )
    with httpx.Client(timeout=30) as client:
        token = _token(client, asgi_url, "alice")
        with client.stream(
            "GET",
            f"{asgi_url}/api/assistant/stream/",
            params={"q": "What is open?"},
            headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": CORRELATION_ID},
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = list(_events(response.iter_lines()))

    deltas = [data["delta"] for name, data in events if name == "message"]
    assert len(deltas) > 1  # streamed in pieces, not sent whole
    assert "".join(deltas) == final
    assert events[-1][0] == "done"
    done = events[-1][1]
    assert (done["provider"], done["model"]) == ("openai", "gpt-4o-mini")
    assert done["usage"] == {"input_tokens": 12, "output_tokens": 7, "estimated": False}
    assert float(done["cost_usd"]) > 0
    # Both rounds went to the model; the tool result in the second is acme's alone.
    (result,) = _tool_results(stub.requests[-1].body)
    titles = {ticket["title"] for ticket in result}
    assert "Welcome to Acme Corp" in titles
    assert not titles & GLOBEX
    # Both calls are recorded under the request's correlation ID and tenant, although they
    # ran after the view (and its middleware's context) had returned.
    assert (
        _usage_records(seeded_rls_database, CORRELATION_ID, expected=2)
        == [(_tenant_id(seeded_rls_database, "acme"), True)] * 2
    )


@pytest.mark.postgres
def test_a_question_is_required_and_anonymous_callers_are_refused(asgi_url: str) -> None:
    import httpx

    with httpx.Client(timeout=30) as client:
        anonymous = client.get(f"{asgi_url}/api/assistant/stream/", params={"q": "Hi"})
        token = _token(client, asgi_url, "alice")
        empty = client.get(
            f"{asgi_url}/api/assistant/stream/", headers={"Authorization": f"Bearer {token}"}
        )
    assert anonymous.status_code == 401
    assert empty.status_code == 400
    assert empty.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.postgres
def test_a_client_that_disconnects_mid_stream_is_settled_for_what_was_consumed(
    asgi_url: str, stub: StubLLMServer, seeded_rls_database: RLSDatabase
) -> None:
    import httpx

    words = " ".join(f"word{n}" for n in range(300))
    stub.clear()
    stub.script(StubReply(text=words, chunk_delay=0.05))
    spent_before, _, _ = _budget(seeded_rls_database, "acme")
    with httpx.Client(timeout=30) as client:
        token = _token(client, asgi_url, "alice")
        with client.stream(
            "GET",
            f"{asgi_url}/api/assistant/stream/",
            params={"q": "Tell me everything."},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            received = []
            for name, data in _events(response.iter_lines()):
                received.append((name, data))
                if len(received) == 2:
                    break  # leaving the block closes the connection mid-answer
    assert [name for name, _ in received] == ["message", "message"]

    # The server notices the disconnect on its own time: wait (bounded) for the settlement.
    deadline = time.monotonic() + 30
    while True:
        spent, reserved, holds = _budget(seeded_rls_database, "acme")
        if (reserved, holds) == (0, 0) and spent > spent_before:
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert holds == 0  # no reservation left open
    assert reserved == 0
    assert spent > spent_before  # what was consumed was billed
