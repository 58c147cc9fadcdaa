"""The chain: :class:`LLMClient` calls the first provider that answers, within the policy.

* :mod:`netrun.llm.chain.client`: :class:`LLMClient`, its configuration and its calls.
* :mod:`netrun.llm.chain.streams`: :class:`ClientStream` and :class:`AsyncClientStream`.
* ``_run``: the decisions of one call (retries with full jitter honouring ``Retry-After``,
  circuit breakers, cooldowns, budget and context-window fallbacks); ``_flow``: the attempts
  written once as generators and driven from sync and async code.

``netrun.llm.client`` still imports these names. Framework-neutral: no Django import.
"""

from __future__ import annotations

from netrun.llm.adapters.registry import build_adapter
from netrun.llm.chain.client import LLMClient
from netrun.llm.chain.streams import AsyncClientStream, ClientStream

__all__ = ["AsyncClientStream", "ClientStream", "LLMClient", "build_adapter"]
