"""docs/fastapi.md's quickstart works as written: copied into an empty folder, it runs.

``main.py`` and ``test_main.py`` are the page's blocks titled so (written with the page's line
numbers kept, as ``test_examples.py`` does, so a traceback names the line in the page); the
environment is what the page's ``export`` lines produce, run by bash; the server is started
with the page's own ``uvicorn`` command. No Django settings, no PostgreSQL, no Redis: the
variables of the test process that would configure them are removed.

The same requests (``_quickstart_client.py``) then go to the app under FastAPI's
``TestClient`` and to the app served by uvicorn on a free 127.0.0.1 port; both must answer
with the correlation ID header, the error envelope on a 404 and on an auth failure, a 429
after the limit, and JSON log lines carrying the correlation ID. The page's ``curl`` lines,
run by bash against a fresh server, answer what their comments say; its ``test_main.py``
passes under pytest.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.docs._quickstart_client import CORRELATION_ID
from tests.logging._servers import Output, free_port, running

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "fastapi.md"
CLIENT = Path(__file__).with_name("_quickstart_client.py")
VENV_BIN = Path(sys.executable).parent

_FENCE = re.compile(r"^(?P<fence>```+)(?P<info>.*)$")
#: Variables of this test process that would give the quickstart something it must not need.
_FOREIGN = ("DJANGO_", "NETRUN_", "AUTH_", "DB_", "REDIS_", "CORS_", "LLM_", "LOGGING_")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence
    info: str
    source: str


def fenced_blocks(text: str) -> list[Block]:
    """Every top-level fenced block of ``text``, with its info string."""
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        index += 1
        if opening is None:
            continue
        start = index
        while index < len(lines) and lines[index].strip() != opening["fence"]:
            index += 1
        blocks.append(Block(start, opening["info"].strip(), "\n".join(lines[start:index]) + "\n"))
        index += 1
    return blocks


def titled(blocks: list[Block], title: str) -> Block:
    matches = [block for block in blocks if block.info == f'python title="{title}"']
    assert len(matches) == 1, f"docs/fastapi.md needs one block titled {title}"
    return matches[0]


def start_up(blocks: list[Block]) -> tuple[list[str], list[str]]:
    """The page's ``export`` lines and its ``uvicorn`` command (split into arguments)."""
    shells = [
        block for block in blocks if block.info == "bash" and "uvicorn main:app" in block.source
    ]
    assert len(shells) == 1, "docs/fastapi.md needs one bash block that starts uvicorn"
    lines = [line.strip() for line in shells[0].source.splitlines() if line.strip()]
    exports = [line for line in lines if line.startswith("export ")]
    commands = [line for line in lines if line.startswith("uvicorn ")]
    assert exports
    assert len(commands) == 1
    assert len(exports) + len(commands) == len(lines), f"unexpected lines in {lines}"
    return exports, shlex.split(commands[0])


@dataclass(frozen=True)
class Quickstart:
    folder: Path
    env: dict[str, str]
    uvicorn: list[str]


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Quickstart:
    folder = tmp_path_factory.mktemp("quickstart")
    blocks = fenced_blocks(PAGE.read_text(encoding="utf-8"))
    for title in ("main.py", "test_main.py"):
        block = titled(blocks, title)
        # Pad with blank lines so tracebacks name the line in the page.
        (folder / title).write_text("\n" * block.line + block.source, encoding="utf-8")
    base = {key: value for key, value in os.environ.items() if not key.startswith(_FOREIGN)}
    base["PATH"] = os.pathsep.join([str(VENV_BIN), base.get("PATH", "")])
    base["PYTHONPATH"] = str(folder)
    base["PYTHONUNBUFFERED"] = "1"
    exports, uvicorn = start_up(blocks)
    names = [line.removeprefix("export ").partition("=")[0] for line in exports]
    script = "set -eu\n" + "\n".join(exports) + '\npython -c "import json, os, sys; '
    script += 'print(json.dumps({name: os.environ[name] for name in sys.argv[1:]}))" '
    script += " ".join(names)
    done = subprocess.run(
        ["bash", "-c", script], env=base, cwd=folder, capture_output=True, text=True, check=True
    )
    exported = json.loads(done.stdout)
    assert all(exported.values()), exported
    return Quickstart(folder, {**base, **exported}, uvicorn)


def _log_events(output: str) -> list[dict[str, Any]]:
    """The JSON lines of ``output`` (other lines, from tools, are ignored)."""
    events = []
    for line in output.splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


def _assert_answers_and_logs(answers: dict[str, Any], output: str) -> None:
    statuses = {name: answer["status"] for name, answer in answers.items()}
    assert statuses == {
        "health": 200,
        "not_found": 404,
        "no_token": 401,
        "bad_token": 401,
        "agent_1": 200,
        "agent_2": 200,
        "agent_3": 200,
        "limited": 429,  # the sixth /tickets request of the minute
    }, answers
    assert answers["health"]["headers"]["x-correlation-id"] == CORRELATION_ID

    for name in ("not_found", "no_token", "bad_token", "limited"):
        answer = answers[name]
        error = answer["body"]["error"]
        # The envelope, with the request's correlation ID in body and header alike.
        assert error["correlation_id"] == answer["headers"]["x-correlation-id"], name
        assert error["message"], name
    assert answers["not_found"]["body"]["error"]["code"] == "RESOURCE_NOT_FOUND"

    no_token = answers["no_token"]
    assert no_token["body"]["error"]["code"] == "AUTHENTICATION_ERROR"
    assert no_token["headers"]["www-authenticate"] == 'Bearer realm="api"'
    bad_token = answers["bad_token"]
    assert bad_token["body"]["error"]["code"] == "TOKEN_INVALID"
    assert bad_token["headers"]["www-authenticate"] == 'Bearer realm="api", error="invalid_token"'

    for name in ("agent_1", "agent_2", "agent_3"):
        assert answers[name]["body"] == ["Printer on fire (acme)"]
    limited = answers["limited"]
    assert limited["body"]["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(limited["headers"]["retry-after"]) > 0

    events = _log_events(output)
    finished = [
        event
        for event in events
        if event["event"] == "request_finished" and event.get("correlation_id") == CORRELATION_ID
    ]
    assert finished, output
    assert finished[0]["route"] == "/health"
    assert finished[0]["status"] == 200
    assert finished[0]["app"] == "tickets"  # configure_logging(app_name=...) took effect
    # The endpoint's own event carries the same ID as its response header.
    listed = [event for event in events if event["event"] == "tickets_listed"]
    assert [event["correlation_id"] for event in listed] == [
        answers[name]["headers"]["x-correlation-id"] for name in ("agent_1", "agent_2", "agent_3")
    ], output
    # A refused request is logged with its status and its ID too.
    refused = answers["limited"]["headers"]["x-correlation-id"]
    assert any(
        event["event"] == "request_finished"
        and event.get("correlation_id") == refused
        and event["status"] == 429
        for event in events
    ), output


def _run_client(quickstart: Quickstart, *base_url: str) -> tuple[dict[str, Any], str]:
    out = quickstart.folder / f"answers-{len(base_url)}.json"
    done = subprocess.run(
        [sys.executable, str(CLIENT), str(out), *base_url],
        env=quickstart.env,
        cwd=quickstart.folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(out.read_text()), done.stdout


def _serve(quickstart: Quickstart, port: int) -> AbstractContextManager[Output]:
    """The page's uvicorn command, on 127.0.0.1:``port``; stopped when the block ends."""
    program, *arguments = quickstart.uvicorn
    assert program == "uvicorn"
    command = [sys.executable, "-m", "uvicorn", *arguments, "--host", "127.0.0.1"]
    return running([*command, "--port", str(port)], quickstart.env, quickstart.folder, port)


def test_the_quickstart_under_testclient(quickstart: Quickstart) -> None:
    answers, output = _run_client(quickstart)
    _assert_answers_and_logs(answers, output)


def test_the_quickstart_served_by_uvicorn(quickstart: Quickstart) -> None:
    port = free_port()
    with _serve(quickstart, port) as out:
        answers, _ = _run_client(quickstart, f"http://127.0.0.1:{port}")
    _assert_answers_and_logs(answers, out.text)
    assert "Uvicorn running on http://127.0.0.1" in out.text  # it was the real server


def test_the_try_it_commands_answer_as_the_page_says(quickstart: Quickstart) -> None:
    blocks = fenced_blocks(PAGE.read_text(encoding="utf-8"))
    tries = [block for block in blocks if block.info == "bash" and "curl " in block.source]
    assert len(tries) == 1, "docs/fastapi.md needs one bash block of curl commands"
    source = tries[0].source
    # Each curl line says what it answers: "# 200", "# 401 envelope", ... (curl -i prints no
    # newline after a body, so a status line may follow one on the same line.)
    expected = [int(code) for code in re.findall(r"^curl .*# (\d{3})\b", source, re.MULTILINE)]
    assert expected == [200, 401, 404]
    port = free_port()
    with _serve(quickstart, port):
        done = subprocess.run(
            ["bash", "-c", "set -eu\n" + source.replace("127.0.0.1:8000", f"127.0.0.1:{port}")],
            env=quickstart.env,
            cwd=quickstart.folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    statuses = [int(code) for code in re.findall(r"HTTP/1\.1 (\d{3}) ", done.stdout)]
    assert statuses == expected, done.stdout
    assert done.stdout.count('"correlation_id"') == 2, done.stdout  # the two error envelopes


def test_the_quickstarts_own_tests_pass(quickstart: Quickstart) -> None:
    (quickstart.folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_main.py"],
        env=quickstart.env,
        cwd=quickstart.folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b2 passed\b", done.stdout), done.stdout
    assert "skipped" not in done.stdout
