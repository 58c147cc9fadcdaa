"""Every provider SDK is optional: ``netrun.llm`` imports without it, and the chain skips it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import override_settings

from netrun.llm import LLMClient, OpenAIAdapter
from netrun.llm.checks import check_chain
from netrun.llm.conf import LLMConfig
from netrun.llm.testing import StubLLMServer
from netrun.logging.testing import capture_logs
from tests.llm.adapters.conftest import API_KEY, build

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("hidden", ["openai", "anthropic", "openai,anthropic,httpx"])
def test_netrun_llm_imports_in_a_fresh_interpreter_without_the_sdks(hidden: str) -> None:
    # A meta-path blocker installed before anything else: the SDKs cannot be imported at all.
    script = textwrap.dedent(
        f"""
        import sys

        HIDDEN = {hidden.split(",")!r}

        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in HIDDEN:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
                return None

        sys.meta_path.insert(0, Blocker())
        import netrun.llm
        import netrun.llm.adapters
        from netrun.llm import LLMClient
        from netrun.llm.conf import LLMConfig

        config = LLMConfig(llm_provider_chain="openai,anthropic,offline",
                           openai_api_key="k", anthropic_api_key="k", _env_file=None)
        client = LLMClient.from_config(config)
        answered = client.chat("hello", provider="offline").provider
        chain = ",".join(adapter.provider for adapter in client.adapters)
        imported = sorted(name for name in HIDDEN if name in sys.modules)
        print("RESULT", chain, answered, imported)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    _, chain, answered, imported = line.split(" ", 3)
    expected = [p for p in ("openai", "anthropic") if p not in hidden.split(",")] + ["offline"]
    assert chain.split(",") == expected
    assert answered == "offline"
    assert imported == "[]"
    output = result.stdout + result.stderr
    for provider in ("openai", "anthropic"):
        if provider in hidden.split(","):
            assert f"provider={provider}" in output
    assert "llm_provider_skipped" in output


def test_a_chain_moves_past_a_provider_whose_sdk_is_missing(
    hide_modules: Callable[..., None],
) -> None:
    with StubLLMServer(lifetime=60) as stub:
        config = LLMConfig(
            llm_provider_chain="openai,anthropic",
            openai_api_key=API_KEY,
            openai_base_url=stub.openai_base_url,
            anthropic_api_key=API_KEY,
            anthropic_base_url=stub.anthropic_base_url,
            _env_file=None,
        )
        hide_modules("openai")
        with capture_logs() as logs:
            client = LLMClient.from_config(config)
            response = client.chat("Summarise the ticket")
    assert [adapter.provider for adapter in client.adapters] == ["anthropic"]
    assert response.provider == "anthropic"
    assert response.text
    [skipped] = [log for log in logs if log["event"] == "llm_provider_skipped"]
    assert skipped["provider"] == "openai"
    assert skipped["missing_dependency"] == "openai"
    assert skipped["hint"] == 'pip install "netrun[openai]"'
    assert skipped["log_level"] == "warning"


def test_a_hand_built_chain_skips_an_adapter_whose_sdk_is_missing(
    hide_modules: Callable[..., None],
) -> None:
    with StubLLMServer(lifetime=60) as stub:
        openai_adapter = build("openai", stub)
        anthropic_adapter = build("anthropic", stub)
        hide_modules("openai")
        client = LLMClient([openai_adapter, anthropic_adapter], max_retries=0)
        with capture_logs() as logs:
            response = client.chat("hello")
    assert response.provider == "anthropic"
    assert [log["provider"] for log in logs if log["event"] == "llm_provider_skipped"] == ["openai"]


def test_a_local_provider_without_its_sdk_is_left_out(hide_modules: Callable[..., None]) -> None:
    config = LLMConfig(llm_provider_chain="offline", local_provider="ollama", _env_file=None)
    hide_modules("httpx")
    client = LLMClient.from_config(config)
    assert client.local_adapter is None
    assert [adapter.provider for adapter in client.adapters] == ["offline"]


def test_missing_sdk_names_the_package(hide_modules: Callable[..., None]) -> None:
    assert OpenAIAdapter.missing_sdk() is None
    hide_modules("openai")
    assert OpenAIAdapter.missing_sdk() == "openai"


@override_settings(
    NETRUN_LLM_PROVIDER_CHAIN="openai,claude,azure,ollama",
    NETRUN_LLM_OPENAI_API_KEY="k",
    NETRUN_LLM_ANTHROPIC_API_KEY="k",
    NETRUN_LLM_AZURE_OPENAI_API_KEY="k",
    NETRUN_LLM_AZURE_OPENAI_ENDPOINT="https://x.openai.azure.com",
    NETRUN_LLM_AZURE_OPENAI_DEPLOYMENT="d",
    NETRUN_LLM_LOCAL_PROVIDER="ollama",
)
def test_w003_a_chain_provider_whose_sdk_is_missing(hide_modules: Callable[..., None]) -> None:
    assert check_chain() == []
    hide_modules("openai", "httpx")
    messages = check_chain()
    assert [m.id for m in messages] == ["netrun.llm.W003"] * 4
    assert "'openai' is in NETRUN_LLM_PROVIDER_CHAIN" in messages[0].msg
    assert "package 'openai' is not installed" in messages[0].msg
    assert 'pip install "netrun[openai]"' in str(messages[0].hint)
    assert "'azure'" in messages[1].msg
    assert "package 'httpx'" in messages[2].msg
    assert "NETRUN_LLM_LOCAL_PROVIDER" in messages[3].msg


def test_w003_is_silent_for_an_unconfigured_provider_of_the_default_chain(
    hide_modules: Callable[..., None],
) -> None:
    # The seeds' default chain without keys: openai would be skipped for its key anyway.
    hide_modules("openai", "anthropic")
    assert [m.id for m in check_chain()] == []
