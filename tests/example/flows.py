"""Drive the example project's API flows through its full middleware stack; print JSON.

Run inside the example project, after ``migrate`` and ``seed_demo --member-password ...``::

    DJANGO_SETTINGS_MODULE=example_project.settings python tests/example/flows.py <password>

Each step records what it saw (status codes, error codes, headers, counts) rather than
asserting, so that ``test_api_flows.py`` can report every mismatch at once. The last line of
output is the JSON result.
"""

from __future__ import annotations

import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from example_project.helpdesk.assistant import get_telemetry  # noqa: E402
from netrun.llm.models import BudgetSpend, LLMUsageRecord, TenantPolicyRecord  # noqa: E402
from netrun.rbac.context import BackgroundTaskTenantContext  # noqa: E402
from netrun.rbac.models import Membership, Tenant  # noqa: E402

HOST = "127.0.0.1"
CORRELATION_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def client(token: str | None = None, **extra: str) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(HTTP_HOST=HOST, headers=headers, **extra)


def post(c: Client, path: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    return c.post(path, data or {}, content_type="application/json", **extra)


def error_code(response: Any) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def login(username: str, password: str, **extra: Any) -> Any:
    return post(client(), "/api/token/", {"username": username, "password": password}, **extra)


def main(password: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    acme = Tenant.objects.get(slug="acme")

    # Login -> JWT carrying the tenant and the membership's role.
    alice_login, gus_login = login("alice", password), login("gus", password)
    out["login"] = {
        "status": alice_login.status_code,
        "tenant": alice_login.json().get("tenant"),
        "roles": alice_login.json().get("roles"),
        "has_tokens": {"access_token", "refresh_token"} <= alice_login.json().keys(),
    }
    out["bad_password"] = {
        "status": (bad := login("alice", "wrong")).status_code,
        "code": error_code(bad),
    }
    alice, gus = alice_login.json()["access_token"], gus_login.json()["access_token"]

    # The token verifies against the published key set.
    out["jwks_keys"] = len(client().get("/.well-known/jwks.json").json()["keys"])

    # List: only the caller's tenant, with the rate-limit headers of the API throttle.
    listing = client(alice).get("/api/tickets/")
    out["list"] = {
        "status": listing.status_code,
        "titles": [t["title"] for t in listing.json()["results"]],
        "ratelimit_limit": listing.headers.get("RateLimit-Limit"),
        "ratelimit_remaining": listing.headers.get("RateLimit-Remaining"),
    }
    out["anonymous"] = {
        "status": (anon := client().get("/api/tickets/")).status_code,
        "code": error_code(anon),
    }

    # Create a ticket and a comment in Acme.
    created = post(client(alice), "/api/tickets/", {"title": "VPN drops every hour"})
    ticket_id = created.json()["id"]
    comment = post(
        client(alice), f"/api/tickets/{ticket_id}/comments/", {"body": "Started on Monday."}
    )
    out["create"] = {
        "ticket_status": created.status_code,
        "comment_status": comment.status_code,
        "comment_author": comment.json().get("author"),
    }

    # Globex cannot see Acme's ticket, not even by ID: it does not exist for them.
    foreign = client(gus).get(f"/api/tickets/{ticket_id}/")
    foreign_comments = client(gus).get(f"/api/tickets/{ticket_id}/comments/")
    foreign_summary = post(client(gus), f"/api/tickets/{ticket_id}/summarise/", {"reason": "x"})
    out["cross_tenant"] = {
        "detail_status": foreign.status_code,
        "detail_code": error_code(foreign),
        "comments_status": foreign_comments.status_code,
        "summarise_status": foreign_summary.status_code,
        "globex_titles": [t["title"] for t in client(gus).get("/api/tickets/").json()["results"]],
    }

    # A member without the agent role may read but not summarise.
    viewer = get_user_model().objects.create_user("victor", password=password)
    Membership.objects.create(user=viewer, tenant=acme, role="viewer")
    victor = login("victor", password).json()["access_token"]
    refused = post(client(victor), f"/api/tickets/{ticket_id}/summarise/", {"reason": "triage"})
    out["viewer"] = {
        "read_status": client(victor).get(f"/api/tickets/{ticket_id}/").status_code,
        "summarise_status": refused.status_code,
        "summarise_code": error_code(refused),
    }

    # Summarise: the tenant's policy requires a reason, then the offline provider answers and
    # the spend lands in the ledger.
    no_reason = post(client(alice), f"/api/tickets/{ticket_id}/summarise/")
    summary = post(
        client(alice), f"/api/tickets/{ticket_id}/summarise/", {"reason": "customer asked"}
    )
    # netrun's own tables are under row-level security on PostgreSQL: read them as Acme.
    with BackgroundTaskTenantContext(acme.pk):
        spend = BudgetSpend.objects.filter(tenant_id=str(acme.pk), period="day").first()
    out["summarise"] = {
        "no_reason_status": no_reason.status_code,
        "no_reason_code": error_code(no_reason),
        "status": summary.status_code,
        "offline": summary.json().get("offline"),
        "provider": summary.json().get("provider"),
        "text": summary.json().get("comment", {}).get("body", ""),
        "kind": summary.json().get("comment", {}).get("kind"),
        "spent_micros": spend.spent_micros if spend else 0,
        "reserved_micros": spend.reserved_micros if spend else None,
    }

    # The same through Celery (eager here): 202, and the summary comment exists.
    queued = post(
        client(alice), f"/api/tickets/{ticket_id}/summarise/?async=1", {"reason": "nightly"}
    )
    detail = client(alice).get(f"/api/tickets/{ticket_id}/").json()
    out["async"] = {
        "status": queued.status_code,
        "state": queued.json().get("state"),
        "comment_id_in_ticket": queued.json().get("comment_id")
        in [c["id"] for c in detail["comments"] if c["kind"] == "summary"],
    }

    # Telemetry: one usage row per LLM call, priced, and the Prometheus counters.
    get_telemetry().flush()
    with BackgroundTaskTenantContext(acme.pk):
        usage = LLMUsageRecord.objects.filter(tenant_id=str(acme.pk), provider="offline")
        rows, priced_rows = usage.count(), usage.filter(cost_usd__gt=0).count()
    metrics = client().get("/metrics/")
    out["telemetry"] = {
        "rows": rows,
        "priced_rows": priced_rows,
        "metrics_status": metrics.status_code,
        "metrics_has_offline": 'provider="offline"' in metrics.content.decode(),
    }

    # The admin lowers Acme's daily budget to what is already spent: the next call is refused.
    with BackgroundTaskTenantContext(acme.pk):
        record = TenantPolicyRecord.objects.get(tenant_id=str(acme.pk))
        spent = BudgetSpend.objects.get(tenant_id=str(acme.pk), period="day").spent_micros
        record.daily_budget_usd = Decimal(spent) / Decimal(1_000_000)
        record.save()  # the saved record drops the cached policy
    exhausted = post(client(alice), f"/api/tickets/{ticket_id}/summarise/", {"reason": "one more"})
    out["budget"] = {
        "status": exhausted.status_code,
        "code": error_code(exhausted),
        "rule": exhausted.json().get("error", {}).get("details", {}).get("rule"),
        "retry_after": exhausted.headers.get("Retry-After"),
        "globex_still_works": post(
            client(gus), "/api/tickets/", {"title": "Globex is unaffected"}
        ).status_code,
    }

    # Password guessing from one address: the login throttle answers 429 with its headers.
    statuses = [login("alice", "guess", REMOTE_ADDR="203.0.113.9").status_code for _ in range(10)]
    limited = login("alice", "guess", REMOTE_ADDR="203.0.113.9")
    other_address = login("alice", "guess", REMOTE_ADDR="203.0.113.10")
    out["ratelimit"] = {
        "before": sorted(set(statuses)),
        "status": limited.status_code,
        "code": error_code(limited),
        "limit": limited.headers.get("RateLimit-Limit"),
        "remaining": limited.headers.get("RateLimit-Remaining"),
        "reset": limited.headers.get("RateLimit-Reset"),
        "retry_after": limited.headers.get("Retry-After"),
        "other_address_status": other_address.status_code,
    }

    # The caller's correlation ID comes back, on answers and in error envelopes.
    ok = client(alice, HTTP_X_CORRELATION_ID=CORRELATION_ID).get("/api/tickets/")
    missing = client(alice, HTTP_X_CORRELATION_ID=CORRELATION_ID).get("/api/tickets/999999/")
    out["correlation"] = {
        "sent": CORRELATION_ID,
        "ok_header": ok.headers.get("X-Correlation-ID"),
        "error_header": missing.headers.get("X-Correlation-ID"),
        "error_body": missing.json()["error"]["correlation_id"],
        "generated": client(alice).get("/api/tickets/").headers.get("X-Correlation-ID"),
    }

    # Refresh rotation: a new pair; the spent refresh token is refused the second time.
    refresh_token = alice_login.json()["refresh_token"]
    first = post(client(), "/api/token/refresh/", {"refresh_token": refresh_token})
    again = post(client(), "/api/token/refresh/", {"refresh_token": refresh_token})
    out["refresh"] = {
        "status": first.status_code,
        "roles": first.json().get("roles"),
        "reuse_status": again.status_code,
        "reuse_code": error_code(again),
        "reuse_challenge": again.headers.get("WWW-Authenticate"),
    }

    # Session login works too; the tenant then comes from X-Tenant-ID (membership checked).
    session = client()
    session.login(username="alice", password=password)
    out["session"] = {
        "own_tenant": session.get("/api/tickets/", HTTP_X_TENANT_ID="acme").status_code,
        "other_tenant": session.get("/api/tickets/", HTTP_X_TENANT_ID="globex").status_code,
    }
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
