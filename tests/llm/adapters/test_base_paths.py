"""``netrun.llm.adapters.base`` keeps every name it had before the split, as the same objects."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import netrun.llm.adapters.base as base
from netrun.errors import NetrunException
from netrun.llm.adapters import _adapter, _call, _stream, sdk
from netrun.llm.chain import client
from netrun.llm.types import LLMResponse, Usage

HOMES = {
    "AsyncChatStream": _stream,
    "BaseLLMAdapter": _adapter,
    "ChatStream": _stream,
    "HostedAdapter": sdk,
    "MessagesInput": _call,
    "OnComplete": _stream,
    "ProviderCall": _call,
    "SDKAdapter": sdk,
    "StreamState": _stream,
    "api_key_value": sdk,
    "messages_from_prompt": _call,
}


def test_every_name_of_the_old_module_is_its_new_home_s_object() -> None:
    assert sorted(base.__all__) == sorted(HOMES)
    for name, home in HOMES.items():
        assert getattr(base, name) is getattr(home, name), name


def test_the_client_s_execute_api_is_the_adapters_one() -> None:
    assert base._ExecuteAPI is _call._ExecuteAPI
    assert issubclass(client.LLMClient, base._ExecuteAPI)
    assert issubclass(base.BaseLLMAdapter, base._ExecuteAPI)


class _HandWritten(base.HostedAdapter):
    """A keyed adapter written before 2.1: the five hooks by hand, no flows."""

    provider = "hand"

    def _complete(self, call: base.ProviderCall) -> LLMResponse:
        return LLMResponse(text="hi", provider=self.provider, model=call.model, usage=Usage())

    async def _acomplete(self, call: base.ProviderCall) -> LLMResponse:
        return self._complete(call)

    def _stream_deltas(
        self, call: base.ProviderCall, state: base.StreamState
    ) -> Generator[str, None, None]:
        state.finish_reason = "stop"
        yield "hi"

    async def _astream_deltas(
        self, call: base.ProviderCall, state: base.StreamState
    ) -> AsyncGenerator[str, None]:
        state.finish_reason = "stop"
        yield "hi"

    def map_error(self, error: Exception) -> NetrunException | None:
        return None


def test_a_hosted_adapter_with_hand_written_hooks_still_works() -> None:
    adapter = _HandWritten(api_key="k", model="m")
    assert adapter.chat("x").text == "hi"
    with adapter.stream("x") as stream:
        assert [chunk.text for chunk in stream] == ["hi"]
    assert stream.response is not None
    assert stream.response.complete
