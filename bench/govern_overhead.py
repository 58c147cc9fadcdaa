"""What ``govern()`` adds to an official SDK call: p50/p99 per call, governed vs bare.

The real ``openai`` SDK against the loopback stub server, sync and async, streamed and not.
The governed client resolves the tenant from the context and its policy (a daily budget),
reserves in the in-memory ledger, settles from the SDK's usage and records telemetry (an
in-memory sink). Bare and governed calls alternate, so both see the same machine load; the
overhead is the median of the paired differences. Goal: at most +0.3 ms p50.

    .venv/bin/python bench/govern_overhead.py [--iterations 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import openai

from netrun.core.context import tenant_context
from netrun.llm import govern
from netrun.llm.budgets import MemoryLedger
from netrun.llm.policies import TenantPolicy
from netrun.llm.pricing import default_price_table
from netrun.llm.telemetry import TelemetryCollector
from netrun.llm.telemetry.sinks.memory import InMemorySink
from netrun.llm.testing import StubLLMServer
from netrun.logging import configure_logging
from netrun.ratelimit import MemoryBackend

GOAL_MS = 0.3
MESSAGES = [{"role": "user", "content": "Summarise ticket 42 in one sentence."}]


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, bare: list[float], governed: list[float]) -> None:
    extra = statistics.median(g - b for b, g in zip(bare, governed, strict=True))
    verdict = "ok" if extra <= GOAL_MS else "ABOVE GOAL"
    print(
        f"{name:<22} bare p50 {_p(bare, 0.5):6.3f} ms  p99 {_p(bare, 0.99):6.3f} ms | "
        f"governed p50 {_p(governed, 0.5):6.3f} ms  p99 {_p(governed, 0.99):6.3f} ms | "
        f"overhead p50 {extra:+.3f} ms ({verdict}, goal +{GOAL_MS} ms)"
    )


def governed_kwargs() -> dict[str, Any]:
    policies = {"bench": TenantPolicy("bench", daily_budget_usd=10_000)}
    return {
        "policies": policies.get,
        "ledger": MemoryLedger(),
        "rate_limit_backend": MemoryBackend(),
        "prices": default_price_table(),
        "telemetry": TelemetryCollector(sinks=[InMemorySink(max_records=1000)], background=False),
    }


def sync_calls(server: StubLLMServer, *, stream: bool) -> tuple[Callable[[], Any], ...]:
    bare = openai.OpenAI(api_key="sk-bench", base_url=server.openai_base_url, max_retries=0)
    governed = govern(
        openai.OpenAI(api_key="sk-bench", base_url=server.openai_base_url, max_retries=0),
        **governed_kwargs(),
    )

    def call(client: openai.OpenAI) -> Callable[[], Any]:
        def once() -> Any:
            if stream:
                return list(
                    client.chat.completions.create(
                        model="gpt-4o-mini",
                        messages=MESSAGES,  # type: ignore[arg-type]
                        max_tokens=100,
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                )
            return client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,  # type: ignore[arg-type]
                max_tokens=100,
            )

        return once

    return call(bare), call(governed)


def measure(bare: Callable[[], Any], governed: Callable[[], Any], iterations: int) -> Any:
    for _ in range(min(100, iterations)):
        bare()
        governed()
    bare_ms, governed_ms = [], []
    for _ in range(iterations):
        start = time.perf_counter()
        bare()
        middle = time.perf_counter()
        governed()
        end = time.perf_counter()
        bare_ms.append((middle - start) * 1000)
        governed_ms.append((end - middle) * 1000)
    return bare_ms, governed_ms


async def ameasure(
    bare: Callable[[], Awaitable[Any]], governed: Callable[[], Awaitable[Any]], iterations: int
) -> Any:
    for _ in range(min(100, iterations)):
        await bare()
        await governed()
    bare_ms, governed_ms = [], []
    for _ in range(iterations):
        start = time.perf_counter()
        await bare()
        middle = time.perf_counter()
        await governed()
        end = time.perf_counter()
        bare_ms.append((middle - start) * 1000)
        governed_ms.append((end - middle) * 1000)
    return bare_ms, governed_ms


async def async_run(server: StubLLMServer, iterations: int) -> None:
    bare = openai.AsyncOpenAI(api_key="sk-bench", base_url=server.openai_base_url, max_retries=0)
    governed = govern(
        openai.AsyncOpenAI(api_key="sk-bench", base_url=server.openai_base_url, max_retries=0),
        **governed_kwargs(),
    )
    for stream in (False, True):

        def call(client: openai.AsyncOpenAI, stream: bool = stream) -> Callable[[], Awaitable[Any]]:
            async def once() -> Any:
                if stream:
                    events = await client.chat.completions.create(
                        model="gpt-4o-mini",
                        messages=MESSAGES,  # type: ignore[arg-type]
                        max_tokens=100,
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                    return [event async for event in events]
                return await client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=MESSAGES,  # type: ignore[arg-type]
                    max_tokens=100,
                )

            return once

        samples = await ameasure(call(bare), call(governed), iterations)
        report(f"async {'stream' if stream else 'create'}", *samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    configure_logging(log_level="WARNING", stream=open(os.devnull, "w"))  # noqa: SIM115
    with StubLLMServer(lifetime=3600) as server, tenant_context("bench"):
        for stream in (False, True):
            bare, governed = sync_calls(server, stream=stream)
            report(
                f"sync {'stream' if stream else 'create'}",
                *measure(bare, governed, args.iterations),
            )
        asyncio.run(async_run(server, args.iterations))


if __name__ == "__main__":
    main()
