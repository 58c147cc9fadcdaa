"""The adapter base classes and what they work with, under the path the docs have always shown.

* :class:`BaseLLMAdapter` (:mod:`netrun.llm.adapters._adapter`): one provider, sync and
  async, whole answers and streams; the lazy clients, the logs, ``from_config``.
* :class:`ChatStream`, :class:`AsyncChatStream`, :class:`StreamState`
  (:mod:`netrun.llm.adapters._stream`): a stream's accounting, written once.
* :class:`HostedAdapter`, :class:`SDKAdapter`, :func:`api_key_value`
  (:mod:`netrun.llm.adapters.sdk`): providers reached with an API key.
* :class:`ProviderCall`, ``MessagesInput``, :func:`messages_from_prompt`
  (:mod:`netrun.llm.adapters._call`): what a call carries.

A provider module implements five hooks (``_complete``, ``_acomplete``, ``_stream_deltas``,
``_astream_deltas``, ``map_error``) and ``from_config``. Framework-neutral: no Django import.
"""

from __future__ import annotations

from netrun.llm.adapters._adapter import BaseLLMAdapter
from netrun.llm.adapters._call import MessagesInput, ProviderCall, messages_from_prompt
from netrun.llm.adapters._call import _ExecuteAPI as _ExecuteAPI  # the client's base too
from netrun.llm.adapters._stream import AsyncChatStream, ChatStream, OnComplete, StreamState
from netrun.llm.adapters.sdk import HostedAdapter, SDKAdapter, api_key_value

__all__ = [
    "AsyncChatStream",
    "BaseLLMAdapter",
    "ChatStream",
    "HostedAdapter",
    "MessagesInput",
    "OnComplete",
    "ProviderCall",
    "SDKAdapter",
    "StreamState",
    "api_key_value",
    "messages_from_prompt",
]
