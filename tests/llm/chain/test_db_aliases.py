"""Model aliases saved in the admin route a ``from_config`` client's next call.

The Django app registers the alias source (``resilience.django.current_aliases`` and its async
twin) at start-up; ``LLMClient.from_config`` reads it once per call. The async calls await
``acurrent_aliases``: the ORM is never touched from the event loop (a
``SynchronousOnlyOperation`` would be caught by the alias cache and logged as
``llm_aliases_unavailable``, routing by the settings alone). A client built by hand routes by
the aliases it is given and never queries the database. Against the loopback stub.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from netrun.llm import LLMClient, LLMConfig
from netrun.llm.models import ModelAlias
from netrun.llm.resilience.django import invalidate_aliases
from netrun.llm.testing import StubLLMServer, StubReply
from netrun.logging.testing import capture_logs
from tests.llm.adapters.conftest import build

SETTINGS_ALIASES = {"fast": ["gpt-4.1-mini"]}


@pytest.fixture(autouse=True)
def _fresh_aliases() -> Iterator[None]:
    invalidate_aliases()
    yield
    invalidate_aliases()


def config_for(stub: StubLLMServer) -> LLMConfig:
    return LLMConfig(
        llm_provider_chain="openai,anthropic",
        openai_api_key="sk-test",
        openai_base_url=stub.openai_base_url,
        anthropic_api_key="sk-test",
        anthropic_base_url=stub.anthropic_base_url,
        max_retries=0,
        breaker_store="off",
        model_aliases=SETTINGS_ALIASES,
        _env_file=None,
    )


def routed(stub: StubLLMServer) -> list[tuple[str, str]]:
    """The (protocol, model) of each request the stub received since the last look."""
    seen = [(str(request.protocol), str(request.body.get("model"))) for request in stub.requests]
    stub.requests.clear()
    return seen


@pytest.mark.django_db
def test_an_admin_alias_routes_the_next_sync_call(stub: StubLLMServer) -> None:
    client = LLMClient.from_config(config_for(stub))
    # The settings' alias, while the admin has none.
    assert client.chat("x", model="fast").model == "gpt-4.1-mini"
    assert routed(stub) == [("openai", "gpt-4.1-mini")]

    alias = ModelAlias.objects.create(name="fast", targets=["anthropic/claude-haiku-4-5"])
    with capture_logs() as logs:
        response = client.chat("x", model="fast")
    assert (response.provider, response.model) == ("anthropic", "claude-haiku-4-5")
    with client.stream("x", model="fast") as stream:
        assert "".join(chunk.text for chunk in stream)
    assert routed(stub) == [("anthropic", "claude-haiku-4-5")] * 2

    # A change saved is seen by the next call of the same client.
    alias.targets = ["openai/gpt-4.1"]
    alias.save()
    assert client.chat("x", model="fast").model == "gpt-4.1"
    assert routed(stub) == [("openai", "gpt-4.1")]
    assert not [event for event in logs if event["event"] == "llm_aliases_unavailable"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_an_admin_alias_routes_the_next_async_call_read_off_the_event_loop(
    stub: StubLLMServer,
) -> None:
    client = LLMClient.from_config(config_for(stub))
    await ModelAlias.objects.acreate(name="fast", targets=["anthropic/claude-haiku-4-5"])
    stub.default = StubReply(text="routed")
    with capture_logs() as logs:
        response = await client.achat("x", model="fast")
        async with client.astream("x", model="fast") as stream:
            assert "".join([chunk.text async for chunk in stream]) == "routed"
    assert (response.provider, response.model) == ("anthropic", "claude-haiku-4-5")
    assert routed(stub) == [("anthropic", "claude-haiku-4-5")] * 2
    assert not [event for event in logs if event["event"] == "llm_aliases_unavailable"]


@pytest.mark.django_db
def test_a_client_built_by_hand_never_reads_the_database(stub: StubLLMServer) -> None:
    ModelAlias.objects.create(name="fast", targets=["anthropic/claude-haiku-4-5"])
    client = LLMClient(
        [build("openai", stub), build("anthropic", stub)], model_aliases=SETTINGS_ALIASES
    )
    with CaptureQueriesContext(connection) as queries:
        assert client.chat("x", model="fast").model == "gpt-4.1-mini"
    assert len(queries) == 0
    assert routed(stub) == [("openai", "gpt-4.1-mini")]


def test_an_alias_source_given_by_hand_is_read_once_per_call(stub: StubLLMServer) -> None:
    reads: list[str] = []

    def source() -> dict[str, str]:
        reads.append("read")
        return {"fast": "anthropic/claude-haiku-4-5"} if len(reads) > 1 else {}

    client = LLMClient([build("openai", stub), build("anthropic", stub)], alias_source=source)
    assert client.chat("x", model="fast").provider == "openai"  # not an alias yet
    assert client.chat("x", model="fast").provider == "anthropic"
    assert client.chat("x", provider="openai", model="fast").provider == "openai"  # pinned
    assert reads == ["read", "read"]
    with pytest.raises(ValueError, match="needs alias_source"):
        LLMClient([], async_alias_source=lambda: None)  # type: ignore[arg-type,return-value]
