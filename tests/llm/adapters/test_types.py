"""Usage normalisation, message parsing and Retry-After parsing."""

from __future__ import annotations

import email.utils

import pytest

from netrun.errors import BudgetExceededError, RateLimitExceededError
from netrun.llm.adapters.errors import is_retryable, parse_retry_after, retry_after_of
from netrun.llm.types import ChatMessage, LLMResponse, Usage, estimate_tokens, normalize_messages


def test_openai_usage_subtracts_the_cached_tokens() -> None:
    usage = Usage.from_openai(prompt_tokens=1000, completion_tokens=50, cached_tokens=800)
    assert (usage.input_tokens, usage.cache_read_tokens, usage.prompt_tokens) == (200, 800, 1000)
    assert usage.total_tokens == 1050


def test_anthropic_usage_keeps_input_apart_from_the_cache() -> None:
    usage = Usage.from_anthropic(
        input_tokens=200, output_tokens=50, cache_read_input_tokens=800,
        cache_creation_input_tokens=100, thinking_tokens=20,
    )  # fmt: skip
    assert usage.prompt_tokens == 1100
    assert usage.reasoning_tokens == 20


def test_usages_add_up() -> None:
    total = Usage(input_tokens=1, output_tokens=2) + Usage(cache_read_tokens=3, estimated=True)
    assert total.as_dict() == {
        "input_tokens": 1, "cache_read_tokens": 3, "cache_write_tokens": 0,
        "output_tokens": 2, "reasoning_tokens": 0, "estimated": True,
    }  # fmt: skip


def test_messages_accept_a_string_objects_and_dicts() -> None:
    assert normalize_messages("hi") == [ChatMessage("user", "hi")]
    parsed = normalize_messages([ChatMessage("system", "s"), {"role": "user", "content": "u"}])
    assert [m.role for m in parsed] == ["system", "user"]
    with pytest.raises(ValueError, match="role") as refused:
        normalize_messages([{"role": "function", "content": "secret"}])
    assert "secret" not in str(refused.value)
    with pytest.raises(ValueError, match="tool_call_id"):
        normalize_messages([{"role": "tool", "content": "secret"}])
    with pytest.raises(ValueError, match="at least one"):
        normalize_messages([])


def test_token_estimates() -> None:
    assert estimate_tokens("abcdefgh") == 2
    assert estimate_tokens([ChatMessage("user", "abcd")]) == 5


def test_response_aliases() -> None:
    response = LLMResponse("t", "openai", "m", Usage(input_tokens=2, output_tokens=3))
    assert response.content == "t"
    assert response.tokens_used == 5


def test_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "bad", "retry-after": "1"}) == 1.0
    date = email.utils.formatdate(1_000_060, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000) == 60.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after(None) is None


def test_budget_errors_are_never_retried() -> None:
    assert is_retryable(RateLimitExceededError(retry_after=1))
    assert not is_retryable(BudgetExceededError(retry_after=1))
    assert retry_after_of(ValueError()) is None
