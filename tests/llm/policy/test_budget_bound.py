"""A hold bounds what the call can cost, so no text overspends a budget.

Prompts in CJK and code have far more tokens per character than prose: a characters/4
estimate holds a fraction of what the provider then bills. Here the stub provider reports
the most a byte-level BPE tokenizer can produce (one token per UTF-8 byte, plus the chat
format's overhead) and 40 concurrent calls through LLMClient and the real openai SDK race
for a budget of a few calls, on every ledger: nothing is spent past the budget, and every
admitted call's cost is recorded.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connections

from netrun.errors import BudgetExceededError
from netrun.llm.adapters.openai import OpenAIAdapter
from netrun.llm.client import LLMClient
from netrun.llm.policy import PolicyEnforcer, Reservation, TenantPolicy
from netrun.llm.policy.ledgers import BudgetLedger, MemoryLedger, Period
from netrun.llm.testing.stub import StubLLMServer, StubReply, StubUsage
from netrun.llm.types import ChatMessage, estimate_tokens, prompt_token_bound
from netrun.logging.testing import capture_logs

API_KEY = "sk-test-0123456789abcdefghij"
CALLERS = 40
MAX_TOKENS = 200
PROMPT = (
    "请总结这个工单：用户在结账时数据库连接超时，已重试三次。"  # noqa: RUF001 - CJK punctuation is the point
    "def retry(f):\n    for i in range(3):\n        try: return f()\n        except E: pass\n"
    "顧客は「支払いができない」と言っています。🙂🙂 {[<>]} ;;==!= "
) * 12
MESSAGES = [ChatMessage("user", PROMPT)]
# What OpenAI's chat format adds around one message: 3 per message, 1 for the role, 3 to
# prime the reply.
REAL_INPUT = len(PROMPT.encode("utf-8")) + 7
# gpt-4o-mini list prices per 1M tokens: $0.15 input, $0.60 output.
REAL_MICROS = math.ceil(REAL_INPUT * Decimal("0.15") + MAX_TOKENS * Decimal("0.60"))
BUDGET_CALLS = 5


def test_the_prompt_defeats_a_character_estimate() -> None:
    # The point of the race below: the real count is several times any chars/4 estimate,
    # and still within the bound the hold uses.
    assert 3 * estimate_tokens(MESSAGES) < REAL_INPUT
    assert prompt_token_bound(MESSAGES) >= REAL_INPUT


@pytest.fixture(params=["memory", "redis", "postgres", "django_postgres"])
def ledger(request: pytest.FixtureRequest) -> Iterator[BudgetLedger]:
    if request.param == "memory":
        yield MemoryLedger()
        return
    if request.param == "django_postgres":
        yield request.getfixturevalue("django_pg")
        return
    built: BudgetLedger
    if request.param == "redis":
        from netrun.llm.policy.ledgers.redis import RedisLedger

        built = RedisLedger(request.getfixturevalue("redis_url"))
    else:
        from netrun.llm.policy.ledgers.sql import SQLLedger

        sql = SQLLedger(request.getfixturevalue("postgres_dsn"), max_connections=8)
        sql.create_tables()
        built = sql
    yield built
    built.close()


def test_no_text_overspends_the_budget(ledger: BudgetLedger) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    budget = Decimal(REAL_MICROS * BUDGET_CALLS) / 10**6
    enforcer = PolicyEnforcer(
        TenantPolicy("acme", daily_budget_usd=budget), ledger=ledger, clock=lambda: now
    )
    usage = StubUsage(input_tokens=REAL_INPUT, output_tokens=MAX_TOKENS)
    with StubLLMServer(lifetime=120, default=StubReply("Résumé.", usage=usage)) as stub:
        adapter = OpenAIAdapter(api_key=API_KEY, base_url=stub.openai_base_url, timeout=30)
        client = LLMClient([adapter], enforcer=enforcer, max_retries=0)
        start = threading.Barrier(CALLERS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def call() -> None:
            start.wait()
            try:
                client.chat(MESSAGES, model="gpt-4o-mini", max_tokens=MAX_TOKENS, reason="t")
                outcome = "answered"
            except BudgetExceededError:
                outcome = "refused"
            except Exception as error:  # counted: any other failure fails the test below
                outcome = repr(error)
            finally:
                connections.close_all()  # the Django ledger's connection, back to its pool
            with lock:
                outcomes.append(outcome)

        threads = [threading.Thread(target=call) for _ in range(CALLERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        adapter.close()
        provider_calls = len(stub.requests)
    assert sorted(set(outcomes)) <= ["answered", "refused"], outcomes
    answered = outcomes.count("answered")
    day = next(w for w in enforcer._current_windows() if w.period is Period.DAY)
    spent = ledger.usage("acme", day)
    assert spent.reserved == 0
    # Every admitted call reached the provider once and its real cost was recorded...
    assert answered == provider_calls >= 1
    assert spent.spent == answered * REAL_MICROS
    # ...and the budget was never passed, whatever the text.
    assert spent.spent <= day.limit  # type: ignore[operator]


def held(model: str, provider: str = "anthropic") -> tuple[PolicyEnforcer, Reservation]:
    enforcer = PolicyEnforcer(TenantPolicy("acme", daily_budget_usd=10), ledger=MemoryLedger())
    return enforcer, enforcer.reserve(
        provider=provider, model=model, messages=MESSAGES, max_output_tokens=MAX_TOKENS
    )


@pytest.mark.parametrize(
    "split",
    ["input", "cache_read", "cache_write"],
)
def test_the_hold_covers_any_split_of_the_prompt(split: str) -> None:
    # Anthropic bills a cache write at 1.25x the input price: a prompt written to the cache
    # costs more than the same prompt read fresh, and the hold must cover that too.
    from netrun.llm.types import Usage

    _, reservation = held("claude-haiku-4-5")
    bound = prompt_token_bound(MESSAGES)
    counts = {"input_tokens": 0, "cache_read_tokens": 0, "cache_write_tokens": 0}
    counts[f"{split}_tokens"] = bound
    with capture_logs() as logs:
        reservation.settle(Usage(**counts, output_tokens=MAX_TOKENS))
    assert reservation.cost is not None
    assert reservation.cost * 10**6 <= reservation.amount_micros
    assert not [line for line in logs if line["event"] == "llm_cost_above_reservation"]


def test_a_reservation_needs_an_output_cap_and_sane_counts() -> None:
    enforcer = PolicyEnforcer(TenantPolicy("acme", daily_budget_usd=1), ledger=MemoryLedger())
    with pytest.raises(ValueError, match="max_output_tokens is required"):
        enforcer.reserve(provider="openai", model="gpt-4o", max_output_tokens=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="estimated_input_tokens must be a non-negative"):
        enforcer.reserve(
            provider="openai", model="gpt-4o", max_output_tokens=1, estimated_input_tokens=-5
        )
    # A caller's estimate below the messages' bound is raised to the bound.
    low = enforcer.reserve(
        provider="openai",
        model="gpt-4o",
        max_output_tokens=1,
        estimated_input_tokens=1,
        messages=PROMPT,
    )
    assert low.amount_micros >= prompt_token_bound(PROMPT) * 2.5
    low.release()
