"""The example project under gunicorn, through a PgBouncer of the test's own that stops and
starts again: the outage is a 503 with ``Retry-After`` and the error envelope (never a 500
with a traceback), logged by the server, and requests are served again once PgBouncer is back.

As production runs it: ``APP_ENVIRONMENT=production``, one sync gunicorn worker (one
connection, so what a persistent connection does is what the test sees), the app role
through PgBouncer in transaction mode with ``DB_TENANT_SCOPE=transaction``. PgBouncer is
stopped with SIGTERM (its immediate shutdown: every client connection is cut, as in the load
run's fault) and started again on the same port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pytest

from tests._pgbouncer import free_port, running_pgbouncer
from tests.example.conftest import MEMBER_PASSWORD
from tests.example.test_example_project import PRODUCTION, ROOT

if TYPE_CHECKING:
    from tests._pgbouncer import PgBouncer
    from tests.example.conftest import RLSDatabase

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

GUNICORN = Path(sys.executable).with_name("gunicorn")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _request(url: str, *, token: str = "", data: Any = None, accept: str = "") -> Answer:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if accept:
        headers["Accept"] = accept
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def _signing_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()


@dataclass
class Server:
    url: str
    log: IO[str]

    def login(self) -> str:
        answer = _request(
            f"{self.url}/api/token/", data={"username": "alice", "password": MEMBER_PASSWORD}
        )
        assert answer.status == 200, answer
        return str(answer.json()["access_token"])

    def tickets(self, token: str) -> Answer:
        return _request(f"{self.url}/api/tickets/", token=token)

    def logged(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()


@contextmanager
def gunicorn(database: RLSDatabase, query: str = "") -> Iterator[Server]:
    """The example project under one sync gunicorn worker, served through ``database.pooler``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APP_"))}
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "CACHE_URL", "REDIS_URL"):
        env.pop(name, None)
    env.update(PRODUCTION)
    env.update(database.env)
    env["DATABASE_URL"] += query
    env.update(
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        AUTH_JWT_PRIVATE_KEY=_signing_key(),
    )
    port = free_port()
    command = [str(GUNICORN), "example_project.wsgi:application", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5"]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        server = Server(f"http://127.0.0.1:{port}", log)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if _request(f"{server.url}/health/").status == 200:
                        break
                except OSError:
                    pass
                assert process.poll() is None, server.logged()[-4000:]
                assert time.monotonic() < deadline, server.logged()[-4000:]
                time.sleep(0.2)
            yield server
        finally:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture
def bouncer(seeded_rls_database: RLSDatabase) -> Iterator[PgBouncer]:
    database = seeded_rls_database
    with running_pgbouncer([database.app, database.owner], pool_size=2) as pgbouncer:
        yield pgbouncer


def _assert_database_error(answer: Answer) -> None:
    assert answer.status == 503, answer
    assert answer.headers["Retry-After"] == "5"
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {
        "error": {
            "code": "DATABASE_ERROR",
            "message": "The database is temporarily unavailable.",
            "details": {},
            "correlation_id": answer.headers["X-Correlation-ID"],
        }
    }


def test_pgbouncer_down_is_a_503_envelope_and_back_up_is_served_again(
    seeded_rls_database: RLSDatabase, bouncer: PgBouncer
) -> None:
    database = seeded_rls_database.through(bouncer)
    with gunicorn(database) as server:
        token = server.login()
        assert server.tickets(token).status == 200

        bouncer.halt()
        # The JWT middleware loads the user before any view: handler500's path.
        _assert_database_error(server.tickets(token))
        # A DRF view's own query: netrun.errors.drf.exception_handler's path.
        login = {"username": "alice", "password": MEMBER_PASSWORD}
        _assert_database_error(_request(f"{server.url}/api/token/", data=login))
        # A browser on a plain view: a 503 page, not Django's 500 page.
        page = _request(f"{server.url}/", accept="text/html")
        assert (page.status, page.headers["Retry-After"]) == (503, "5")
        assert page.body == b"<h1>Service Unavailable (503)</h1>"
        # The health endpoint names what is down: the app's alias (the owner's is direct).
        health = _request(f"{server.url}/health/")
        assert (health.status, health.json()["down"]) == (503, ["database"])

        bouncer.start()  # the same port
        answer = server.tickets(token)
        assert answer.status == 200, answer
        assert [t["title"] for t in answer.json()["results"]] == ["Welcome to Acme Corp"]
        logged = server.logged()

    # Each 503 was logged by the server with the driver's error, for the operator.
    for path in ("/api/tickets/", "/api/token/", "/"):
        assert f'"event": "Service Unavailable: {path}"' in logged
    assert "OperationalError" in logged
    assert '"status": 500' not in logged


@pytest.mark.parametrize(
    ("query", "after_restart"),
    [
        ("", [200, 200]),  # CONN_MAX_AGE=0, the example's default: a connection per request
        ("?conn_max_age=600", [503, 200]),  # the cut connection is found out by its first query
        ("?conn_max_age=600&conn_health_checks=true", [200, 200]),  # tested before reuse
    ],
    ids=["per-request", "persistent", "persistent-health-checked"],
)
def test_a_restart_between_two_requests(
    seeded_rls_database: RLSDatabase, bouncer: PgBouncer, query: str, after_restart: list[int]
) -> None:
    """What Django's connection settings make of a PgBouncer restarted while nothing ran."""
    database = seeded_rls_database.through(bouncer)
    with gunicorn(database, query) as server:
        token = server.login()
        assert server.tickets(token).status == 200
        bouncer.halt()
        bouncer.start()
        answers = [server.tickets(token) for _ in after_restart]
    assert [answer.status for answer in answers] == after_restart
    for answer in answers:
        if answer.status == 503:
            _assert_database_error(answer)
