"""The example project: `check --deploy` is clean in production, and the server really serves.

Each test runs ``manage.py`` in a subprocess with its own environment, the way a deployment
or ``make run`` does, since the example project's settings are read from the environment once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.example.conftest import RLSDatabase

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "APP_ENVIRONMENT": "production",
    "DJANGO_SECRET_KEY": "k3$Zq9!vT2#mW8@pL5^rB7&nY4*cH6(dJ1)eF0-gS3_uA9+xQ2=",
    "DJANGO_ALLOWED_HOSTS": "helpdesk.example.com",
}

# Runs inside the example project: the health endpoint and the admin login page.
PROBE = """
import json
from django.test import Client
client = Client()
health = client.get("/health/", HTTP_HOST="127.0.0.1")
login = client.get("/admin/login/", HTTP_HOST="127.0.0.1")
home = client.get("/", HTTP_HOST="127.0.0.1")
print(json.dumps({"health": health.json(), "health_status": health.status_code,
                  "login_status": login.status_code, "login_has_form": b'name="password"' in login.content,
                  "home": home.content.decode()}))
"""


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APP_"))}
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "CACHE_URL"):
        base.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if check and result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_values() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert "System check identified no issues" in result.stdout


@pytest.mark.slow
def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", env=env, check=False)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


# Runs inside the example project: two requests with a bearer token, as a client sends them.
BEARER_PROBE = """
import json
from django.test import Client
client = Client(raise_request_exception=False)
answers = [
    client.get("/api/tickets/", HTTP_AUTHORIZATION="Bearer x", HTTP_HOST="helpdesk.example.com",
               secure=True)
    for _ in range(2)
]
print(json.dumps([[a.status_code, a.json()["error"]["code"]] for a in answers]))
"""


@pytest.mark.slow
def test_production_without_jwt_keys_answers_a_bearer_token_with_401(tmp_path: Path) -> None:
    # `shell` runs no system checks, as gunicorn does not: netrun.auth cannot rely on E001.
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = manage("shell", "-c", BEARER_PROBE, env=env)
    lines = result.stdout.strip().splitlines()
    assert json.loads(lines[-1]) == [[401, "TOKEN_INVALID"], [401, "TOKEN_INVALID"]]
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    unavailable = [entry for entry in logged if entry["event"] == "auth_keys_unavailable"]
    assert len(unavailable) == 1  # once, naming the setting
    assert unavailable[0]["level"] == "error"
    assert "AUTH_JWT_PRIVATE_KEY" in unavailable[0]["error"]


@pytest.mark.slow
def test_unknown_environment_is_refused_by_name() -> None:
    result = manage("check", env={"APP_ENVIRONMENT": "prod"}, check=False)
    assert result.returncode != 0
    assert (
        "(netrun.config.E002) The environment variable APP_ENVIRONMENT is not a valid choice"
        in result.stderr
    )
    assert "prod" not in result.stderr.replace("production", "")  # the bad value is not echoed


DATABASES_PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "databases": {alias: [db["ENGINE"], db.get("USER", "")] for alias, db in settings.DATABASES.items()},
    "routers": settings.DATABASE_ROUTERS,
    "app_role": getattr(settings, "NETRUN_RBAC_RLS_APP_ROLE", None),
}))
"""
RLS_ENGINE = "netrun.rbac.db.backends.postgresql"


@pytest.mark.slow
def test_only_postgresql_urls_turn_on_the_rls_backend_router_and_owner_alias(
    tmp_path: Path,
) -> None:
    def databases(env: dict[str, str]) -> dict[str, Any]:
        # `shell` may print a banner line (auto-imports) before the probe's own JSON line.
        output = manage("shell", "-c", DATABASES_PROBE, env=env).stdout
        found: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
        return found

    # SQLite, the default: one alias, no router, nothing about RLS.
    assert databases({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}) == {
        "databases": {"default": ["django.db.backends.sqlite3", ""]},
        "routers": [],
        "app_role": None,
    }
    two_roles = {
        "DATABASE_URL": "postgres://app@127.0.0.1:5432/helpdesk",
        "DATABASE_OWNER_URL": "postgres://owner@127.0.0.1:5432/helpdesk",
    }
    assert databases(two_roles) == {
        "databases": {"default": [RLS_ENGINE, "app"], "owner": [RLS_ENGINE, "owner"]},
        "routers": ["netrun.rbac.db.router.TenantRLSRouter"],
        "app_role": "app",
    }
    # Without DATABASE_OWNER_URL the owner alias is the app role: the RLS checks report it.
    app_only = databases({"DATABASE_URL": two_roles["DATABASE_URL"]})
    assert app_only["databases"] == {"default": [RLS_ENGINE, "app"], "owner": [RLS_ENGINE, "app"]}


@pytest.mark.slow
def test_embedded_defaults_migrate_seed_and_serve(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    manage("migrate", "--no-input", env=env)
    first = manage("seed_demo", env=env)
    again = manage("seed_demo", "--password", "fixed-demo-password", env=env)
    assert "tenant acme: created" in first.stdout
    assert "tenant globex: created" in first.stdout
    assert "tenant acme: exists" in again.stdout
    assert "username=admin password=fixed-demo-password" in again.stdout

    probe = _probe(env)
    assert probe["health_status"] == 200
    assert probe["health"]["checks"]["database"]["vendor"] == "sqlite"
    assert probe["health"]["checks"]["cache"]["backend"] == "LocMemCache"
    assert probe["login_status"] == 200
    assert probe["login_has_form"]
    assert "Acme Corp" in probe["home"]
    assert "Globex Corporation" in probe["home"]

    # The admin password printed by seed_demo really logs in.
    login = manage(
        "shell", "-c",
        "from django.test import Client; c = Client(); "
        "print(c.login(username='admin', password='fixed-demo-password'))",
        env=env,
    )  # fmt: skip
    assert login.stdout.strip().splitlines()[-1] == "True"

    # And `runserver`, as `make run` starts it, answers over real HTTP on loopback.
    with serve(env) as url:
        body = _get_when_up(f"{url}/health/")
        assert json.loads(body)["status"] == "ok"
        assert b'name="password"' in _get_when_up(f"{url}/admin/login/")


@contextmanager
def serve(env: dict[str, str]) -> Iterator[str]:
    """``manage.py runserver`` on a free loopback port; yields its base URL."""
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APP_"))}
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "CACHE_URL"):
        base.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env={**base, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def _probe(env: dict[str, str]) -> dict[str, Any]:
    # `shell` may print a banner line (auto-imports) before the probe's own JSON line.
    output = manage("shell", "-c", PROBE, env=env).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _get_when_up(url: str, timeout: float = 30.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback URL
                return bytes(response.read())
        # A worker still booting under load accepts the connection and answers late.
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow
def test_real_postgresql_and_redis_through_the_environment(
    routed_rls_database: RLSDatabase, redis_url: str
) -> None:
    # The owner role migrates; the app role (DATABASE_URL, directly or through PgBouncer in
    # transaction mode) seeds and serves.
    env = {**routed_rls_database.env, "CACHE_URL": redis_url}
    manage("migrate", "--database", "owner", "--no-input", env=env)
    manage("seed_demo", env=env)
    probe = _probe(env)
    assert probe["health_status"] == 200
    assert probe["health"]["checks"]["database"]["vendor"] == "postgresql"
    assert probe["health"]["checks"]["cache"]["backend"] == "RedisCache"
    assert "Acme Corp" in probe["home"]
