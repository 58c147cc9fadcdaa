"""The system checks of the resilience settings: one test per id."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from netrun.llm.checks import check_resilience


def ids() -> list[str]:
    return [message.id or "" for message in check_resilience()]


def test_the_defaults_pass() -> None:
    assert ids() == []


@override_settings(NETRUN_LLM_BREAKER_STORE="memcached://127.0.0.1")
def test_e009_a_breaker_store_that_is_not_one() -> None:
    [message] = check_resilience()
    assert message.id == "netrun.llm.E009"
    assert "NETRUN_LLM_BREAKER_STORE" in message.msg


@pytest.mark.parametrize(
    "store", ["memory", "off", "redis://127.0.0.1:6379/3", "redis+cluster://h:7000"]
)
def test_e009_accepts_memory_off_and_redis_urls(store: str) -> None:
    with override_settings(NETRUN_LLM_BREAKER_STORE=store):
        assert ids() == []


@override_settings(NETRUN_LLM_MODEL_ALIASES={"fast": [], "smart": ["gpt-4.1", " "]})
def test_e010_an_empty_group_or_a_blank_model() -> None:
    assert ids() == ["netrun.llm.E010", "netrun.llm.E010"]


@override_settings(NETRUN_LLM_CONTEXT_FALLBACKS={"gpt-4.1": "openai/gpt-4.1", "gpt-4o": ""})
def test_e010_a_context_fallback_to_itself_or_to_nothing() -> None:
    assert ids() == ["netrun.llm.E010", "netrun.llm.E010"]


@override_settings(
    NETRUN_LLM_PROVIDER_CHAIN="openai,ollama",
    NETRUN_LLM_MODEL_ALIASES={"fast": ["gpt-4.1-mini", "anthropic/claude-haiku-4-5"]},
    NETRUN_LLM_CONTEXT_FALLBACKS={"gpt-4.1-mini": "claude/claude-sonnet-4-5"},
)
def test_w005_an_entry_whose_provider_is_not_in_the_chain() -> None:
    messages = check_resilience()
    assert [m.id for m in messages] == ["netrun.llm.W005", "netrun.llm.W005"]
    assert "NETRUN_LLM_MODEL_ALIASES['fast']" in messages[0].msg


@pytest.mark.django_db
@override_settings(NETRUN_LLM_BREAKER_STORE="bogus", NETRUN_LLM_PROVIDER_CHAIN="ollama")
def test_manage_py_check_reports_e009() -> None:
    from django.core.management.base import SystemCheckError

    with pytest.raises(SystemCheckError, match=r"netrun\.llm\.E009"):
        call_command("check", stdout=StringIO(), stderr=StringIO())
