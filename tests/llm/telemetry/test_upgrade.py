"""A project upgrading from before the rollups (migration 0003) with usage records already
recorded: every migration runs, and the records end up rolled up (0009 rolls them up once the
tables are whole; 0004's own roll-up would have read columns that did not exist yet)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from netrun.llm.models import LLMUsageHourly, LLMUsageScopeDaily
from tests.llm.policy.ledgers.test_sqlite_ledger import sqlite_alias

ALIAS = "upgrade_sqlite"
BEFORE_ROLLUPS = ("netrun_llm", "0003_llm_price_override")


def test_records_from_before_the_rollups_are_rolled_up_by_the_upgrade(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    connections.settings[ALIAS] = sqlite_alias(tmp_path / "upgrade.sqlite3", 5.0)
    try:
        with django_db_blocker.unblock():
            call_command("migrate", *BEFORE_ROLLUPS, database=ALIAS, verbosity=0)
            old = MigrationExecutor(connections[ALIAS]).loader.project_state(BEFORE_ROLLUPS).apps
            record = old.get_model("netrun_llm", "LLMUsageRecord")
            for user in ("7", "7", "8"):
                record.objects.using(ALIAS).create(
                    tenant_id="acme",
                    user_id=user,
                    provider="openai",
                    model="gpt-4o-mini",
                    latency_ms=120.0,
                    input_tokens=1_000,
                    output_tokens=500,
                    cost_usd=Decimal("0.00045"),
                    created=dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc),
                )
            call_command("migrate", "netrun_llm", database=ALIAS, verbosity=0)
            hourly = list(
                LLMUsageHourly.objects.using(ALIAS).values_list("tenant_id", "requests", "cost_usd")
            )
            by_user = dict(
                LLMUsageScopeDaily.objects.using(ALIAS)
                .filter(kind="user")
                .values_list("value", "requests")
            )
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
    assert hourly == [("acme", 3, Decimal("0.00135"))]
    assert by_user == {"7": 2, "8": 1}
