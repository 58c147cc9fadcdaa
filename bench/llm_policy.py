"""Latency of the LLM policy path: validate_request, and reserve + settle, per ledger.

Goals (p50): in-memory < 50 us, Redis < 1 ms, PostgreSQL < 3 ms for ``reserve`` (policy
check, RPM/TPM hit, atomic budget hold). With budgets by scope (issue 17: the tenant plus a
user, an API key and a feature tag, each by day and month: 8 windows held at once), in-memory
< 80 us, Redis < 1.5 ms, PostgreSQL < 3 ms. Runs against the local servers on loopback
(NETRUN_TEST_REDIS_URL, NETRUN_TEST_POSTGRES_DSN); a server that is down is skipped.

Then the whole path: ``LLMClient`` with the real ``openai`` SDK against the loopback stub
server, with and without a ``PolicyEnforcer`` (in-memory ledger), so the ratio is what policy
check + reservation + settlement add to a (fast, local) provider call.

LiteLLM is not compared: its budgets and rate limits live in the LiteLLM Proxy (a FastAPI
server with a Prisma-managed database), not in a library call, and it is not installable
offline here.

    .venv/bin/python bench/llm_policy.py [--iterations 2000]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from netrun.llm.attribution import api_key_context, llm_tags
from netrun.llm.budgets import BudgetLedger, MemoryLedger
from netrun.llm.policies import CostTier, PolicyEnforcer, ProviderPolicy, TenantPolicy
from netrun.llm.policy import ScopeBudget
from netrun.logging import configure_logging
from netrun.ratelimit import Backend, MemoryBackend

REDIS_URL = os.environ.get("NETRUN_TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_DSN = os.environ.get(
    "NETRUN_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


class Usage:
    input_tokens = 900
    output_tokens = 300


SCOPE_BUDGETS = tuple(
    ScopeBudget(kind, None, limit, period)  # type: ignore[arg-type]
    for kind in ("user", "key", "tag")
    for period, limit in (("day", Decimal(1_000)), ("month", Decimal(10_000)))
)


def policy(scope_budgets: tuple[ScopeBudget, ...] = ()) -> TenantPolicy:
    return TenantPolicy(
        scope_budgets=scope_budgets,
        tenant_id=f"bench-{uuid.uuid4().hex[:8]}",
        daily_budget_usd=10_000,
        monthly_budget_usd=100_000,
        provider_policies={
            "openai": ProviderPolicy(
                provider="openai",
                allowed_models=["gpt-4o-mini", "gpt-4o"],
                max_tokens_per_request=4096,
                max_cost_per_request=0.10,
                rate_limit_rpm=10**8,
                rate_limit_tpm=10**9,
                cost_tier_limit=CostTier.MEDIUM,
            )
        },
    )


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


def timed(call: Callable[[], Any], iterations: int) -> tuple[float, float]:
    for _ in range(min(100, iterations)):  # warm caches, connections, script SHAs
        call()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e6)
    return percentiles(samples)


def run(name: str, ledger: BudgetLedger, backend: Backend, iterations: int, goal_us: float) -> None:
    enforcer = PolicyEnforcer(policy(), ledger=ledger, rate_limit_backend=backend)

    def validate() -> None:
        enforcer.validate_request("openai", "gpt-4o", 2000, "bench")

    def reserve() -> Any:
        return enforcer.reserve(
            provider="openai",
            model="gpt-4o-mini",
            estimated_input_tokens=1000,
            max_output_tokens=500,
            reason="bench",
        )

    held: list[Any] = []

    def reserve_only() -> None:
        held.append(reserve())

    def settle() -> None:
        held.pop().settle(Usage())

    def whole() -> None:
        reserve().settle(Usage())

    v50, v99 = timed(validate, iterations)
    r50, r99 = timed(reserve_only, iterations)
    s50, s99 = timed(settle, iterations)
    for reservation in held:
        reservation.release()
    w50, _ = timed(whole, iterations)
    verdict = "ok" if r50 < goal_us else "ABOVE GOAL"
    print(
        f"{name:<10} validate_request p50 {v50:8.1f} us p99 {v99:8.1f} | "
        f"reserve p50 {r50:8.1f} us p99 {r99:8.1f} | settle p50 {s50:8.1f} us p99 {s99:8.1f} | "
        f"reserve+settle p50 {w50:8.1f} us | goal reserve p50 < {goal_us:.0f} us: {verdict}"
    )


def run_scoped(
    name: str, ledger: BudgetLedger, backend: Backend, iterations: int, goal_us: float
) -> None:
    """``reserve`` holding the tenant's windows and a user's, an API key's and a tag's (day and
    month each: 8 windows) in one atomic ledger step."""
    enforcer = PolicyEnforcer(policy(SCOPE_BUDGETS), ledger=ledger, rate_limit_backend=backend)

    def reserve() -> Any:
        return enforcer.reserve(
            provider="openai",
            model="gpt-4o-mini",
            estimated_input_tokens=1000,
            max_output_tokens=500,
            reason="bench",
            user_id="42",
        )

    held: list[Any] = []
    with api_key_context("svc-bench"), llm_tags("ticket-summary"):
        windows = len(reserve().windows)
        r50, r99 = timed(lambda: held.append(reserve()), iterations)
        s50, s99 = timed(lambda: held.pop().settle(Usage()), iterations)
    for reservation in held:
        reservation.release()
    verdict = "ok" if r50 < goal_us else "ABOVE GOAL"
    print(
        f"{name:<10} by scope ({windows} windows): reserve p50 {r50:8.1f} us p99 {r99:8.1f} | "
        f"settle p50 {s50:8.1f} us p99 {s99:8.1f} | goal reserve p50 < {goal_us:.0f} us: "
        f"{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    # Allow decisions log at debug; the bench measures the path, not a console handler.
    configure_logging(log_level="WARNING", stream=open(os.devnull, "w"))  # noqa: SIM115
    logging.getLogger().setLevel(logging.WARNING)

    run("memory", MemoryLedger(), MemoryBackend(), args.iterations, 50)
    run_scoped("memory", MemoryLedger(), MemoryBackend(), args.iterations, 80)

    try:
        import redis

        from netrun.llm.budgets.redis import RedisLedger
        from netrun.ratelimit import RedisBackend

        url = f"{REDIS_URL}/14"
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        ledger = RedisLedger(url, prefix=f"netrun:bench:{uuid.uuid4().hex[:6]}:")
        backend = RedisBackend(url, prefix="netrun:bench:rl:")
        run("redis", ledger, backend, args.iterations, 1000)
        run_scoped("redis", ledger, backend, args.iterations, 1500)
        redis.Redis.from_url(url).flushdb()
    except Exception as error:
        print(f"redis      skipped: {type(error).__name__}: {error}")

    try:
        import psycopg
        from psycopg import sql

        from netrun.llm.budgets.sql import SQLLedger

        name = f"netrun_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_DSN, autocommit=True, connect_timeout=2) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            pg = SQLLedger(f"{POSTGRES_DSN.rpartition('/')[0]}/{name}", max_connections=2)
            pg.create_tables()
            run("postgres", pg, MemoryBackend(), args.iterations, 3000)
            run_scoped("postgres", pg, MemoryBackend(), args.iterations, 3000)
            pg.close()
        finally:
            with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
    except Exception as error:
        print(f"postgres   skipped: {type(error).__name__}: {error}")

    whole_path(args.iterations)


def whole_path(iterations: int) -> None:
    """A stubbed chat call through LLMClient, with and without the policy path."""
    from netrun.llm import LLMClient, OpenAIAdapter
    from netrun.llm.testing import StubLLMServer

    with StubLLMServer() as server:
        adapter = OpenAIAdapter(api_key="sk-bench", base_url=server.openai_base_url)
        bare = LLMClient([adapter], max_retries=0)
        enforcer = PolicyEnforcer(
            policy(), ledger=MemoryLedger(), rate_limit_backend=MemoryBackend()
        )
        governed = LLMClient([adapter], enforcer=enforcer, max_retries=0)
        messages = [{"role": "user", "content": "Summarise ticket 42"}]
        count = max(200, iterations // 4)

        def call(client: LLMClient) -> Callable[[], Any]:
            return lambda: client.chat(
                messages, model="gpt-4o-mini", max_tokens=200, reason="bench"
            )

        without_p50, without_p99 = timed(call(bare), count)
        with_p50, with_p99 = timed(call(governed), count)
    print(
        f"whole path, stubbed OpenAI call ({count} calls): without policy p50 {without_p50:.0f} us "
        f"p99 {without_p99:.0f} us; with policy p50 {with_p50:.0f} us p99 {with_p99:.0f} us; "
        f"added p50 {with_p50 - without_p50:.0f} us, ratio {with_p50 / without_p50:.2f}x"
    )


if __name__ == "__main__":
    main()
