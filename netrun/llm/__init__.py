"""Netrun LLM.

Level 3: provider adapters (OpenAI, Azure OpenAI, Anthropic, Ollama, an offline development
provider), the fallback chain, per-tenant policies and budgets, cost and latency telemetry::

    from netrun.llm import LLMClient

    client = LLMClient.from_config(enforcer=enforcer)     # LLM_PROVIDER_CHAIN order
    response = client.chat([{"role": "user", "content": "Summarise this ticket"}],
                           max_tokens=300, reason="ticket_summary")
    response.text, response.provider, response.usage.output_tokens

This module imports without Django settings configured; Django glue (models, admin, checks)
is referenced by dotted path. Test helpers live in ``netrun.llm.testing``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netrun.core import deprecated_aliases
from netrun.llm.adapters import (
    AnthropicAdapter,
    AsyncChatStream,
    AzureOpenAIAdapter,
    BaseLLMAdapter,
    ChatStream,
    LLMProviderAuthenticationError,
    LLMStreamInterruptedError,
    OfflineAdapter,
    OllamaAdapter,
    OpenAIAdapter,
)
from netrun.llm.attribution import (
    Attribution,
    api_key_context,
    current_attribution,
    llm_tags,
)
from netrun.llm.chain import AsyncClientStream, ClientStream, LLMClient, build_adapter
from netrun.llm.conf import LLMConfig
from netrun.llm.govern import govern

# --- policy layer (netrun.llm.policies, built separately) --------------------------------
from netrun.llm.policies import (
    BudgetExceededError,
    CostTier,
    PolicyEnforcer,
    ProviderPolicy,
    TenantPolicy,
)

# --- end of the policy layer -------------------------------------------------------------
from netrun.llm.protocols import (
    AsyncPolicyEnforcerProtocol,
    AsyncReservationProtocol,
    LLMTelemetry,
    PolicyEnforcerProtocol,
    ReservationProtocol,
)
from netrun.llm.tools import ToolCall, ToolSpec
from netrun.llm.types import AttemptInfo, ChatMessage, LLMResponse, StreamChunk, Usage

__all__ = [
    "AnthropicAdapter",
    "AsyncChatStream",
    "AsyncClientStream",
    "AsyncPolicyEnforcerProtocol",
    "AsyncReservationProtocol",
    "AttemptInfo",
    "Attribution",
    "AzureOpenAIAdapter",
    "BaseLLMAdapter",
    "BudgetExceededError",
    "ChatMessage",
    "ChatStream",
    "ClientStream",
    "CostTier",
    "LLMClient",
    "LLMConfig",
    "LLMProviderAuthenticationError",
    "LLMResponse",
    "LLMStreamInterruptedError",
    "LLMTelemetry",
    "OfflineAdapter",
    "OllamaAdapter",
    "OpenAIAdapter",
    "PolicyEnforcer",
    "PolicyEnforcerProtocol",
    "ProviderPolicy",
    "ReservationProtocol",
    "StreamChunk",
    "TenantPolicy",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "api_key_context",
    "build_adapter",
    "current_attribution",
    "govern",
    "llm_tags",
]


# Renamed in 2.1 (one name, one meaning); the old names warn until 3.0.
if TYPE_CHECKING:
    AsyncBudgetReservation = AsyncReservationProtocol
    AsyncPolicyEnforcer = AsyncPolicyEnforcerProtocol
    BudgetReservation = ReservationProtocol
else:
    __getattr__ = deprecated_aliases(
        __name__,
        {
            "AsyncBudgetReservation": "AsyncReservationProtocol",
            "AsyncPolicyEnforcer": "AsyncPolicyEnforcerProtocol",
            "BudgetReservation": "ReservationProtocol",
        },
    )
