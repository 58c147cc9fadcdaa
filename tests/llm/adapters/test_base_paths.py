"""``netrun.llm.adapters.base`` keeps every name it had before the split, as the same objects."""

from __future__ import annotations

import netrun.llm.adapters.base as base
from netrun.llm.adapters import _adapter, _call, _stream, sdk
from netrun.llm.chain import client

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
