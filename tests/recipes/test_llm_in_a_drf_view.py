"""docs/recipes/llm-in-a-drf-view.md runs as written: a fresh project, PostgreSQL, the stub LLM.

The page's files (fenced blocks with a ``title``) are pasted into a ``startproject`` that has
getting-started's settings block; the view is called by a member of one tenant through the
test client, against the repository's loopback stub server. The call is paid from that
tenant's budget (settled, nothing left held; the other tenant untouched), and a telemetry
record with the tenant is in the database, where the dashboard's aggregate counts it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from netrun.core._starter import settings_block, urls_module
from netrun.llm.testing import StubLLMServer, StubReply, StubUsage
from tests.docs.test_examples import DOCS

PAGE = DOCS / "recipes" / "llm-in-a-drf-view.md"
BIN = Path(sys.executable).parent
_TITLED = re.compile(r'^```python title="(?P<title>[^"]+)"\n(?P<body>.*?)^```$', re.M | re.S)

PROBE = """
import json
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.test import Client

from assistant.llm import telemetry
from netrun.llm.budgets.django import DjangoLedger
from netrun.llm.models import TenantPolicyRecord, get_tenant_policy
from netrun.llm.policies import PolicyEnforcer
from netrun.llm.telemetry_models import LLMUsageRecord
from netrun.rbac.models import Membership, Tenant

acme = Tenant.objects.create(slug="acme", name="Acme Corp")
globex = Tenant.objects.create(slug="globex", name="Globex")
for tenant in (acme, globex):
    TenantPolicyRecord.objects.create(tenant_id=str(tenant.pk), daily_budget_usd=Decimal("1"))
alice = get_user_model().objects.create_user("alice", password="not-used-1")
Membership.objects.create(user=alice, tenant=acme)

client = Client()
client.force_login(alice)
answer = client.post("/api/summarise/", {"text": "The printer on floor 2 jams."},
                     content_type="application/json", HTTP_X_TENANT_ID="acme", HTTP_HOST="localhost")
outsider = client.post("/api/summarise/", {"text": "x"}, content_type="application/json",
                       HTTP_X_TENANT_ID="globex", HTTP_HOST="localhost")
telemetry().flush()

def today(tenant):
    status = PolicyEnforcer(get_tenant_policy(str(tenant.pk)), ledger=DjangoLedger()).budget_status()
    day = next(window for window in status if window["period"] == "day")
    return {"spent": str(day["spent_usd"]), "reserved": str(day["reserved_usd"])}

metrics = telemetry().get_aggregated_metrics(hours=1)
print(json.dumps({
    "status": answer.status_code,
    "body": answer.json(),
    "outsider": [outsider.status_code, outsider.json()["error"]["code"]],
    "acme": str(acme.pk),
    "budget": {"acme": today(acme), "globex": today(globex)},
    "records": list(LLMUsageRecord.objects.values("tenant_id", "provider", "model", "success",
                                                  "input_tokens", "output_tokens", "cost_usd")),
    "dashboard_requests": metrics.total_requests,
    "dashboard_cost": str(metrics.total_cost_usd),
}, default=str))
"""


def _files() -> dict[str, str]:
    return {m["title"]: m["body"] for m in _TITLED.finditer(PAGE.read_text(encoding="utf-8"))}


def test_the_page_has_every_file_the_test_pastes() -> None:
    assert set(_files()) == {
        "assistant/llm.py",
        "assistant/views.py",
        "assistant/apps.py",
        "settings.py (after the netrun block)",
        "urls.py (at the end)",
    }


def _project(tmp_path: Path, postgres_dsn: str) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    subprocess.run(
        [str(BIN / "django-admin"), "startproject", "mysite"],
        cwd=tmp_path, env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    project = tmp_path / "mysite"
    files = _files()
    (project / "assistant").mkdir()
    (project / "assistant" / "__init__.py").write_text("", encoding="utf-8")
    for name in ("llm.py", "views.py", "apps.py"):
        (project / "assistant" / name).write_text(files[f"assistant/{name}"], encoding="utf-8")
    user_host, _, name = postgres_dsn.removeprefix("postgresql://").rpartition("/")
    user, _, host_port = user_host.partition("@")
    host, _, port = host_port.partition(":")
    database = {"ENGINE": "django.db.backends.postgresql", "NAME": name, "USER": user,
                "HOST": host, "PORT": port or "5432"}  # fmt: skip
    settings = project / "mysite" / "settings.py"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + "\n"
        + settings_block()
        + "\n"
        + files["settings.py (after the netrun block)"]
        + f"\nDATABASES = {{'default': {database!r}}}  # the test's fresh database\n",
        encoding="utf-8",
    )
    (project / "mysite" / "urls.py").write_text(
        urls_module() + "\n" + files["urls.py (at the end)"], encoding="utf-8"
    )
    return project


@pytest.mark.slow
def test_the_recipe_charges_the_request_tenant_and_records_telemetry(
    tmp_path: Path, postgres_dsn: str
) -> None:
    project = _project(tmp_path, postgres_dsn)
    with StubLLMServer(lifetime=240) as stub:
        stub.script(StubReply("Printer jams on floor 2.", usage=StubUsage(30, 150)))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "LLM_"))},
            "OPENAI_API_KEY": "sk-test-recipe",
            "LLM_OPENAI_BASE_URL": stub.openai_base_url,
        }

        def manage(*args: str) -> str:
            result = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=project, env=env, capture_output=True, text=True, timeout=180, check=False,
            )  # fmt: skip
            assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
            return result.stdout

        manage("migrate", "--no-input")
        found = json.loads(manage("shell", "-c", PROBE).strip().splitlines()[-1])
        assert len(stub.requests) == 1  # the outsider's call never reached the provider

    assert found["status"] == 200, found["body"]
    assert found["body"]["summary"] == "Printer jams on floor 2."
    assert found["body"]["provider"] == "openai"
    assert (found["body"]["input_tokens"], found["body"]["output_tokens"]) == (30, 150)
    # Not a member of globex: refused before any LLM call or charge.
    assert found["outsider"][0] == 403
    # The request's tenant paid gpt-4o-mini's list price ($0.15 / $0.60 per million tokens)
    # for 30 in and 150 out: $0.0000945, which the ledger charges rounded up to the micro-USD.
    assert found["body"]["model"] == "gpt-4o-mini"
    acme, globex = found["budget"]["acme"], found["budget"]["globex"]
    assert Decimal(acme["spent"]) == Decimal("0.000095")
    assert Decimal(acme["reserved"]) == 0
    assert Decimal(globex["spent"]) == 0
    # One telemetry record, the tenant's, priced as the ledger charged it.
    [record] = found["records"]
    assert record["tenant_id"] == found["acme"]
    assert record["provider"] == "openai"
    assert record["success"] is True
    assert (record["input_tokens"], record["output_tokens"]) == (30, 150)
    assert Decimal(record["cost_usd"]) == Decimal("0.0000945")
    # What the dashboard reads: the collector's aggregate over the database sink.
    assert found["dashboard_requests"] == 1
    assert Decimal(found["dashboard_cost"]) == Decimal("0.0000945")
