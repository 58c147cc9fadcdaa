"""The enforcer's side of budgets by scope: where the attribution comes from (the context, the
async path, explicit arguments), check-only calls, and tables from before scopes."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import psycopg
import pytest

from netrun.errors import BudgetExceededError
from netrun.llm.attribution import api_key_context, llm_tags
from netrun.llm.policy import (
    MemoryLedger,
    PolicyEnforcer,
    PolicyViolationError,
    ScopeBudget,
    TenantPolicy,
)
from netrun.llm.policy.ledgers import WindowUsage
from netrun.llm.policy.ledgers.sql import DDL, SQLLedger

NOW = dt.datetime(2026, 10, 25, 12, tzinfo=dt.timezone.utc)
CALL = {
    "provider": "openai",
    "model": "gpt-4o-mini",
    "estimated_input_tokens": 1000,
    "max_output_tokens": 1000,
}  # 750 micro-dollars at most


def enforcer(*budgets: ScopeBudget) -> PolicyEnforcer:
    policy = TenantPolicy("t1", daily_budget_usd=Decimal("10"), scope_budgets=budgets)
    return PolicyEnforcer(policy, ledger=MemoryLedger(), clock=lambda: NOW)


def test_areserve_reads_the_callers_context_and_its_arguments() -> None:
    checker = enforcer(
        ScopeBudget("tag", "summary", Decimal("0.001"), "hours", hours=5),
        ScopeBudget("tag", "nightly", Decimal("1"), "week"),
        ScopeBudget("key", None, Decimal("1"), "month"),
    )

    async def calls() -> None:
        async with api_key_context("svc"), llm_tags("summary"):
            held = await checker.areserve(**CALL, tags=("nightly",))  # type: ignore[arg-type]
            assert {w.scope for w in held.windows} == {
                "tenant",
                "key:svc",
                "tag:summary",
                "tag:nightly",
            }
            with pytest.raises(BudgetExceededError) as refused:
                await checker.areserve(**CALL)  # type: ignore[arg-type]
            assert refused.value.details["scope"] == "tag:summary"
            assert refused.value.details["period"] == "hours"
            assert refused.value.details["hours"] == 5
            await held.asettle({"input_tokens": 1000, "output_tokens": 1000})
            for window in held.windows:
                assert checker.ledger.usage("t1", window) == WindowUsage(spent=750), window.key

    asyncio.run(calls())


def test_explicit_arguments_win_over_the_context() -> None:
    checker = enforcer(ScopeBudget("key", "batch", Decimal("0.001"), "day"))
    with api_key_context("svc"):
        first = checker.reserve(**CALL, api_key="batch")  # type: ignore[arg-type]
        assert "key:batch" in {w.scope for w in first.windows}
        assert "key:svc" not in {w.scope for w in first.windows}
        second = checker.reserve(**CALL)  # type: ignore[arg-type]  # svc has no budget
        assert {w.scope for w in second.windows} == {"tenant"}
        with pytest.raises(BudgetExceededError):
            checker.reserve(**CALL, api_key="batch")  # type: ignore[arg-type]


def test_validate_request_reads_the_scope_budgets() -> None:
    checker = enforcer(ScopeBudget("user", "42", Decimal("0.001"), "month"))
    checker.validate_request("openai", "gpt-4o-mini", 1000, max_output_tokens=1000, user_id="42")
    held = checker.reserve(**CALL, user_id="42")  # type: ignore[arg-type]
    with pytest.raises(BudgetExceededError) as refused:
        checker.validate_request(
            "openai", "gpt-4o-mini", 1000, max_output_tokens=1000, user_id="42"
        )
    assert refused.value.details["scope"] == "user:42"
    held.release()


def test_a_scope_budget_needs_a_known_price() -> None:
    policy = TenantPolicy("t1", scope_budgets=(ScopeBudget("user", None, Decimal("1"), "day"),))
    checker = PolicyEnforcer(policy, ledger=MemoryLedger(), clock=lambda: NOW)
    with pytest.raises(PolicyViolationError) as refused:
        checker.reserve(provider="openai", model="no-such-model", max_output_tokens=10)
    assert refused.value.rule == "unknown_price"


def test_create_tables_widens_the_tables_of_before_scopes(postgres_dsn: str) -> None:
    before = DDL.split("-- Tables created")[0]
    before = before.replace("varchar(200)", "varchar(8)").replace(
        "windows text", "windows varchar(100)"
    )
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(before)
    ledger = SQLLedger(postgres_dsn, max_connections=2)
    try:
        ledger.create_tables()
        ledger.create_tables()  # again: nothing left to widen
        checker = PolicyEnforcer(
            TenantPolicy("t1", scope_budgets=(ScopeBudget("tag", "a" * 60, Decimal("1"), "week"),)),
            ledger=ledger,
            clock=lambda: NOW,
        )
        held = checker.reserve(**CALL, tags=("a" * 60,))  # type: ignore[arg-type]
        held.release()
    finally:
        ledger.close()
    query = (
        "SELECT column_name, data_type, character_maximum_length FROM "
        "information_schema.columns WHERE column_name IN ('period', 'windows') ORDER BY 1"
    )
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute(query).fetchall() == [
            ("period", "character varying", 200),
            ("windows", "text", None),
        ]
