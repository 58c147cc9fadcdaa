"""End to end: the example project's API flows, through its real settings, URLs and middleware.

``flows.py`` runs in a subprocess under ``example_project.settings`` (migrated and seeded
first, like ``make run``) and prints what each step saw; these tests assert on it. Once on
the embedded defaults (SQLite, locmem, eager Celery, offline LLM), and on the real
PostgreSQL (directly, and through a PgBouncer in transaction mode) and Redis of this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.example.test_example_project import ROOT, manage

if TYPE_CHECKING:
    from tests.example.conftest import RLSDatabase

PASSWORD = "flows-demo-password-1"
pytestmark = pytest.mark.slow


def run_flows(env: dict[str, str], *, migrate_database: str = "default") -> dict[str, Any]:
    manage("migrate", "--database", migrate_database, "--no-input", env=env)
    seeded = manage("seed_demo", "--member-password", PASSWORD, env=env)
    assert f"username=alice password={PASSWORD} role=agent" in seeded.stdout
    assert f"username=gus password={PASSWORD} role=admin" in seeded.stdout
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "APP_"))}
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "CACHE_URL", "REDIS_URL"):
        base.pop(name, None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "example" / "flows.py"), PASSWORD],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    flows: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return flows


@pytest.fixture(scope="module")
def flows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    database = tmp_path_factory.mktemp("flows") / "db.sqlite3"
    return run_flows({"DATABASE_URL": f"sqlite:///{database}"})


def test_login_returns_a_token_pair_for_the_members_tenant_and_role(
    flows: dict[str, Any],
) -> None:
    assert flows["login"] == {
        "status": 200, "tenant": "acme", "roles": ["agent"], "has_tokens": True,
    }  # fmt: skip
    assert flows["bad_password"] == {"status": 401, "code": "AUTHENTICATION_ERROR"}
    assert flows["jwks_keys"] == 1


def test_a_member_lists_only_their_own_tenants_tickets(flows: dict[str, Any]) -> None:
    assert flows["list"]["status"] == 200
    assert flows["list"]["titles"] == ["Welcome to Acme Corp"]
    assert flows["cross_tenant"]["globex_titles"] == ["Welcome to Globex Corporation"]


def test_anonymous_callers_are_asked_to_authenticate(flows: dict[str, Any]) -> None:
    assert flows["anonymous"]["status"] == 401


def test_tickets_and_comments_are_created_in_the_callers_tenant(flows: dict[str, Any]) -> None:
    assert flows["create"] == {
        "ticket_status": 201, "comment_status": 201, "comment_author": "alice",
    }  # fmt: skip


def test_another_tenant_cannot_reach_a_ticket_by_its_id(flows: dict[str, Any]) -> None:
    cross = flows["cross_tenant"]
    assert cross["detail_status"] == 404
    assert cross["detail_code"] == "RESOURCE_NOT_FOUND"
    assert cross["comments_status"] == 404
    assert cross["summarise_status"] == 404


def test_a_viewer_reads_but_cannot_summarise(flows: dict[str, Any]) -> None:
    assert flows["viewer"] == {
        "read_status": 200, "summarise_status": 403, "summarise_code": "PERMISSION_DENIED",
    }  # fmt: skip


def test_the_tenant_policy_requires_a_reason(flows: dict[str, Any]) -> None:
    assert flows["summarise"]["no_reason_status"] == 403
    assert flows["summarise"]["no_reason_code"] == "LLM_POLICY_VIOLATION"


def test_summarise_answers_offline_and_says_so_and_spends_the_budget(
    flows: dict[str, Any],
) -> None:
    summary = flows["summarise"]
    assert summary["status"] == 201
    assert summary["offline"] is True
    assert summary["provider"] == "offline"
    assert summary["kind"] == "summary"
    assert summary["text"].startswith("[offline provider]")
    assert summary["spent_micros"] > 0  # settled at the demo price
    assert summary["reserved_micros"] == 0  # the hold was settled, not left behind


def test_summarise_in_the_background_runs_the_tenant_task(flows: dict[str, Any]) -> None:
    assert flows["async"] == {"status": 202, "state": "SUCCESS", "comment_id_in_ticket": True}


def test_llm_calls_are_recorded_in_the_database_and_prometheus(flows: dict[str, Any]) -> None:
    telemetry = flows["telemetry"]
    # The refused call (no reason) and the two answered ones; only the answers cost money.
    assert telemetry["rows"] == 3
    assert telemetry["priced_rows"] == 2
    assert telemetry["metrics_status"] == 200
    assert telemetry["metrics_has_offline"] is True


def test_a_used_up_budget_is_a_429_budget_exceeded_for_that_tenant_only(
    flows: dict[str, Any],
) -> None:
    budget = flows["budget"]
    assert budget["status"] == 429
    assert budget["code"] == "BUDGET_EXCEEDED"
    assert budget["rule"] == "daily_budget"
    assert 0 < int(budget["retry_after"]) <= 86_400  # until the budget day resets
    assert budget["globex_still_works"] == 201


def test_password_guessing_is_rate_limited_per_address_with_headers(
    flows: dict[str, Any],
) -> None:
    limit = flows["ratelimit"]
    assert limit["before"] == [401]  # ten wrong passwords are answered
    assert limit["status"] == 429
    assert limit["code"] == "RATE_LIMIT_EXCEEDED"
    assert limit["limit"] == "10"
    assert limit["remaining"] == "0"
    assert int(limit["reset"]) > 0
    assert int(limit["retry_after"]) > 0
    assert limit["other_address_status"] == 401


def test_api_answers_carry_the_throttles_ratelimit_headers(flows: dict[str, Any]) -> None:
    assert flows["list"]["ratelimit_limit"] == "300"
    assert int(flows["list"]["ratelimit_remaining"]) < 300


def test_the_callers_correlation_id_is_echoed_in_headers_and_envelopes(
    flows: dict[str, Any],
) -> None:
    correlation = flows["correlation"]
    sent = correlation["sent"]
    assert correlation["ok_header"] == sent
    assert correlation["error_header"] == sent
    assert correlation["error_body"] == sent
    assert correlation["generated"] not in (None, sent)


def test_refresh_rotates_and_a_reused_refresh_token_is_refused(flows: dict[str, Any]) -> None:
    assert flows["refresh"] == {
        "status": 200, "roles": ["agent"], "reuse_status": 401, "reuse_code": "TOKEN_INVALID",
        "reuse_challenge": 'Bearer realm="api", error="invalid_token"',
    }  # fmt: skip


def test_session_users_pick_a_tenant_they_belong_to(flows: dict[str, Any]) -> None:
    assert flows["session"] == {"own_tenant": 200, "other_tenant": 403}


def test_oidc_login_is_configured_only_from_the_environment(tmp_path: Path) -> None:
    probe = (
        "from django.conf import settings; import json; "
        "print(json.dumps(settings.NETRUN_OAUTH_PROVIDERS))"
    )
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    without = manage("shell", "-c", probe, env=env)
    assert json.loads(without.stdout.strip().splitlines()[-1]) == {}

    with_google = {**env, "OAUTH_GOOGLE_CLIENT_ID": "helpdesk-client"}
    configured = manage("shell", "-c", probe, env=with_google)
    providers = json.loads(configured.stdout.strip().splitlines()[-1])
    assert list(providers) == ["google"]
    assert providers["google"]["client_id"] == "helpdesk-client"
    # A client ID without its secret is named by netrun.oauth's check, not silently ignored.
    check = manage("check", env=with_google, check=False)
    assert check.returncode != 0
    assert "netrun.oauth.E004" in check.stderr


def test_cors_preset_comes_from_the_environment(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    probe = (
        "from django.test import Client; c = Client(); "
        "r = c.options('/api/tickets/', HTTP_HOST='127.0.0.1', HTTP_ORIGIN='http://localhost:3000', "
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD='GET'); "
        "print(r.headers.get('Access-Control-Allow-Origin'))"
    )
    development = manage("shell", "-c", probe, env=env)
    assert development.stdout.strip().splitlines()[-1] == "http://localhost:3000"
    production_preset = manage("shell", "-c", probe, env={**env, "CORS_PRESET": "production"})
    assert production_preset.stdout.strip().splitlines()[-1] == "None"


@pytest.mark.slow
def test_flows_on_real_postgresql_and_redis(
    routed_rls_database: RLSDatabase, redis_url: str
) -> None:
    import redis

    # Migrated by the owner role, served by the app role (directly, or through PgBouncer in
    # transaction mode): every flow runs under RLS too.
    database = routed_rls_database
    flows = run_flows(
        {**database.env, "CACHE_URL": redis_url, "REDIS_URL": redis_url},
        migrate_database="owner",
    )
    assert flows["list"]["titles"] == ["Welcome to Acme Corp"]
    assert flows["cross_tenant"]["detail_status"] == 404
    assert flows["summarise"]["status"] == 201
    assert flows["summarise"]["spent_micros"] > 0
    assert flows["budget"]["code"] == "BUDGET_EXCEEDED"
    assert flows["ratelimit"]["status"] == 429
    if database.pooler is not None:
        assert database.pooler.logins(database.app, database.name) > 0
    # The throttles counted in Redis, shared by every app server, not in one process.
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.keys("netrun:rl:*")
    finally:
        client.close()
