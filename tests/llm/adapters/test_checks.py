"""One test per netrun.llm system check id, and manage.py check end to end."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.checks import CheckMessage
from django.core.management import call_command
from django.test import override_settings

from netrun.llm.checks import check_chain, check_offline_provider


def ids(messages: list[CheckMessage]) -> list[str]:
    return [message.id or "" for message in messages]


@override_settings(NETRUN_LLM_PROVIDER_CHAIN="offline", DEBUG=False)
def test_e001_the_offline_provider_in_the_chain_without_debug() -> None:
    assert ids(check_offline_provider()) == ["netrun.llm.E001"]


@override_settings(NETRUN_LLM_PROVIDER_CHAIN="ollama", NETRUN_LLM_LOCAL_PROVIDER="offline")
def test_e001_the_offline_provider_as_the_local_fallback_without_debug() -> None:
    [message] = check_offline_provider()
    assert message.id == "netrun.llm.E001"
    assert "NETRUN_LLM_LOCAL_PROVIDER" in message.msg


@override_settings(NETRUN_LLM_PROVIDER_CHAIN="offline", DEBUG=True)
def test_e001_the_offline_provider_is_fine_in_development() -> None:
    assert check_offline_provider() == []


@override_settings(NETRUN_LLM_PROVIDER_CHAIN="claude,mistral")
def test_e002_an_unknown_provider() -> None:
    assert "netrun.llm.E002" in ids(check_chain())


@override_settings(NETRUN_LLM_PROVIDER_CHAIN=" , ")
def test_e003_an_empty_chain() -> None:
    assert "netrun.llm.E003" in ids(check_chain())


@override_settings(NETRUN_LLM_PROVIDER_CHAIN="ollama", NETRUN_LLM_LOCAL_PROVIDER="openai")
def test_e004_a_local_provider_that_is_not_local() -> None:
    assert ids(check_chain()) == ["netrun.llm.E004"]


@override_settings(
    NETRUN_LLM_PROVIDER_CHAIN="claude,azure,ollama",
    NETRUN_LLM_ANTHROPIC_API_KEY=None,
    NETRUN_LLM_AZURE_OPENAI_API_KEY="k",
)
def test_w001_a_provider_without_its_key() -> None:
    messages = check_chain()
    assert ids(messages) == ["netrun.llm.W001", "netrun.llm.W001"]
    assert "ANTHROPIC_API_KEY" in messages[0].msg
    assert "AZURE_OPENAI_ENDPOINT" in messages[1].msg
    assert "AZURE_OPENAI_API_KEY" not in messages[1].msg


def test_w001_is_silent_for_the_default_chain() -> None:
    # The seeds' default "claude,openai,ollama" without keys falls through to Ollama.
    assert check_chain() == []


@override_settings(NETRUN_LLM_PROVIDER_CHAIN="ollama", NETRUN_LLM_MAX_RETRIES=-5)
def test_invalid_settings_are_left_to_netrun_config() -> None:
    assert check_chain() == []
    assert check_offline_provider() == []


@pytest.mark.django_db
@override_settings(NETRUN_LLM_PROVIDER_CHAIN="ollama", NETRUN_LLM_LOCAL_PROVIDER="ollama")
def test_manage_py_check_passes_with_a_local_chain() -> None:
    call_command("check", stdout=StringIO(), stderr=StringIO())
