"""Scenarios over netrun's own tenant tables, run as the app role:
``python -m tests.rbac_rls.own_scenarios NAME [NAME ...]`` (settings ``settings_own``).

Counts are read with raw SQL: what they prove is that the database isolates, not the ORM.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable

import django

django.setup()

from django.db import connection  # noqa: E402

from netrun.core.context import tenant_context  # noqa: E402
from netrun.errors import TenantAccessDeniedError  # noqa: E402
from netrun.llm.budgets.base import BudgetWindow, Period  # noqa: E402
from netrun.llm.budgets.django import DjangoLedger  # noqa: E402
from netrun.llm.models import LLMUsageRecord, TenantPolicyRecord  # noqa: E402
from netrun.llm.telemetry.dashboard import tenant_budgets  # noqa: E402
from netrun.llm.telemetry.records import LLMRequestMetrics, MetricsQuery  # noqa: E402
from netrun.llm.telemetry.sinks.database import DatabaseSink, aggregate_usage  # noqa: E402
from netrun.llm.telemetry.sinks.rollup import rebuild_rollups  # noqa: E402
from netrun.rbac.db import cross_tenant  # noqa: E402
from netrun.rbac.models import Role, Tenant  # noqa: E402

A = "00000000-0000-0000-0000-00000000000a"
B = "00000000-0000-0000-0000-00000000000b"
NOW = dt.datetime.now(dt.timezone.utc).replace(minute=30, second=0, microsecond=0)

#: Rows each tenant owns after ``seed`` (the usage table also holds one tenantless row).
OWNED = {
    "netrun_rbac_role": {A: 1, B: 1},
    "netrun_llm_tenant_policy": {A: 1, B: 1},
    "netrun_llm_budget_account": {A: 1, B: 1},
    "netrun_llm_budget_spend": {A: 2, B: 2},
    "netrun_llm_budget_reservation": {A: 1, B: 0},
    "netrun_llm_usage_record": {A: 2, B: 1},
    "netrun_llm_usage_hourly": {A: 1, B: 1},
}
TENANT_COLUMN = {"netrun_rbac_role": "tenant_id::text"}

SCENARIOS: dict[str, Callable[[], None]] = {}


def scenario(fn: Callable[[], None]) -> Callable[[], None]:
    SCENARIOS[fn.__name__] = fn
    return fn


def rows(table: str) -> list[str]:
    """The tenant of every row of ``table`` the session can see."""
    column = TENANT_COLUMN.get(table, "tenant_id")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 - test constants
        return sorted(str(row[0]) for row in cursor.fetchall())


def windows() -> list[BudgetWindow]:
    today = NOW.date()
    month = today.replace(day=1)
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    return [
        BudgetWindow(Period.DAY, today, 10_000_000, tomorrow),
        BudgetWindow(Period.MONTH, month, 100_000_000, tomorrow + dt.timedelta(days=31)),
    ]


def usage(tenant: str | None, cost: str) -> LLMRequestMetrics:
    from decimal import Decimal

    return LLMRequestMetrics(
        provider="openai",
        model="gpt-4o-mini",
        started_at=NOW.timestamp(),
        tenant_id=tenant,
        latency_ms=120.0,
        input_tokens=100,
        output_tokens=20,
        cost_usd=Decimal(cost),
        priced=True,
    )


def raises_denied(fn: Callable[[], object]) -> None:
    try:
        fn()
    except TenantAccessDeniedError:
        return
    raise AssertionError("expected TenantAccessDeniedError")


@scenario
def seed() -> None:
    """Each tenant writes its own rows through netrun's public APIs, bound to itself."""
    Tenant.objects.bulk_create([Tenant(id=A, slug="a", name="A"), Tenant(id=B, slug="b", name="B")])
    ledger = DjangoLedger()
    for tenant in (A, B):
        with tenant_context(tenant):
            Role.objects.create(tenant_id=tenant, name="agent", permissions=["x"])
            TenantPolicyRecord.objects.create(tenant_id=tenant, daily_budget_usd=10)
            ledger.reserve(tenant, f"r1-{tenant[-1]}", windows(), 1_000, 60)
            ledger.settle(tenant, f"r1-{tenant[-1]}", windows(), 900)
    with tenant_context(A):
        ledger.reserve(A, "r2-a", windows(), 2_000, 600)  # left open
    # One mixed batch, no tenant bound: the flush thread's situation.
    DatabaseSink().write([usage(A, "0.01"), usage(B, "0.02"), usage(A, "0.03"), usage(None, "0.5")])


@scenario
def isolation() -> None:
    """Bound to A: A's rows only; bound to nothing: no row; writing B's row: refused."""
    for table, owned in OWNED.items():
        with tenant_context(A):
            assert rows(table) == [A] * owned[A], (table, rows(table))
        with tenant_context(B):
            assert rows(table) == [B] * owned[B], (table, rows(table))
        with tenant_context(None):
            assert rows(table) == [], (table, rows(table))
    with tenant_context(A):
        raises_denied(lambda: TenantPolicyRecord.objects.create(tenant_id=B))
        raises_denied(lambda: Role.objects.create(tenant_id=B, name="intruder"))
        # An update cannot move an own row to B either (WITH CHECK of the floor and policy).
        raises_denied(lambda: LLMUsageRecord.objects.filter(tenant_id=A).update(tenant_id=B))
        with connection.cursor() as cursor:
            cursor.execute("UPDATE netrun_llm_budget_spend SET spent_micros = 0")
            assert cursor.rowcount == OWNED["netrun_llm_budget_spend"][A]


@scenario
def aggregations() -> None:
    """The reports over every tenant see every tenant through ``cross_tenant()`` only."""
    query = MetricsQuery(since=NOW - dt.timedelta(days=2), until=NOW + dt.timedelta(days=1))
    with tenant_context(A):
        assert aggregate_usage(LLMUsageRecord.objects.all(), query).total_requests == 2
        assert [b.tenant_id for b in tenant_budgets(None, now=NOW)] == [A]
    with cross_tenant(reason="test: report over every tenant"):
        assert rebuild_rollups() == 4
        metrics = aggregate_usage(LLMUsageRecord.objects.all(), query, rollup_threshold=0)
        assert metrics.total_requests == 4
        assert str(metrics.total_cost_usd) == "0.5600000000"
        assert sorted(b.tenant_id for b in tenant_budgets(None, now=NOW)) == [A, B]
        assert len(rows("netrun_llm_usage_hourly")) == 3  # A, B and the tenantless hour
    with tenant_context(None):
        assert aggregate_usage(LLMUsageRecord.objects.all(), query).total_requests == 0


def main(names: list[str]) -> None:
    for name in names:
        SCENARIOS[name]()
        print(f"PASS {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
