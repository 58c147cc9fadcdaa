"""The offline development provider: canned, deterministic answers without any network.

It is the embedded default for ``make run``, so the example project works on a fresh
machine. It never pretends to be a model: every response has ``provider="offline"`` and text
starting with ``[offline provider]``, and every log line carries ``offline=True`` and a note.
The system check ``netrun.llm.E001`` refuses it when ``DEBUG`` is off.

The same messages always give the same answer (a digest of the conversation, not the text of
it), so tests and demos are reproducible. Token counts are estimates (``usage.estimated``).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from netrun.errors import NetrunException
from netrun.llm.adapters._adapter import BaseLLMAdapter
from netrun.llm.adapters._call import ProviderCall, config_limits
from netrun.llm.adapters._stream import StreamState
from netrun.llm.types import CHARS_PER_TOKEN, ChatMessage, LLMResponse, Usage, estimate_tokens

if TYPE_CHECKING:
    from netrun.llm.conf import LLMConfig

__all__ = ["OFFLINE_PREFIX", "OfflineAdapter"]

OFFLINE_PREFIX = "[offline provider]"
DEFAULT_MODEL = "offline-canned-v1"


class OfflineAdapter(BaseLLMAdapter):
    """Deterministic canned answers for development; refused in production by a check."""

    provider: ClassVar[str] = "offline"
    log_fields: ClassVar[Mapping[str, object]] = {
        "offline": True,
        "note": "offline development provider: canned answers, not a language model",
    }

    def __init__(
        self, *, model: str = DEFAULT_MODEL, max_tokens: int = 1024, timeout: float = 60.0
    ) -> None:
        super().__init__(model=model, max_tokens=max_tokens, timeout=timeout)

    @classmethod
    def from_config(cls, name: str, config: LLMConfig) -> BaseLLMAdapter:
        return cls(**config_limits(config))

    def answer(self, messages: Sequence[ChatMessage], max_tokens: int) -> tuple[str, str]:
        """The canned text for ``messages`` and its finish reason (``length`` if cut)."""
        digest = hashlib.sha256(
            "\x1e".join(f"{m.role}\x1f{m.content}" for m in messages).encode()
        ).hexdigest()[:12]
        last = messages[-1].content
        text = (
            f"{OFFLINE_PREFIX} This is a canned development answer, not a language model. "
            f"The conversation had {len(messages)} message(s); the last one had "
            f"{len(last.split())} word(s). Reference {digest}. Set NETRUN_LLM_PROVIDER_CHAIN "
            "to a real provider (claude, openai, azure_openai, ollama) for real answers."
        )
        limit = max_tokens * CHARS_PER_TOKEN
        if len(text) > limit:
            return text[:limit], "length"
        return text, "stop"

    def _usage(self, messages: Sequence[ChatMessage], text: str) -> Usage:
        return Usage(
            input_tokens=estimate_tokens(messages),
            output_tokens=estimate_tokens(text),
            estimated=True,
        )

    def _request_id(self, text: str) -> str:
        return "offline-" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def _complete(self, call: ProviderCall) -> LLMResponse:
        text, finish = self.answer(call.messages, call.max_tokens)
        return LLMResponse(
            text=text,
            provider=self.provider,
            model=call.model,
            usage=self._usage(call.messages, text),
            finish_reason=finish,
            request_id=self._request_id(text),
        )

    async def _acomplete(self, call: ProviderCall) -> LLMResponse:
        return self._complete(call)

    def _stream_deltas(self, call: ProviderCall, state: StreamState) -> Generator[str, None, None]:
        text, finish = self.answer(call.messages, call.max_tokens)
        state.request_id = self._request_id(text)
        pieces = re.findall(r"\S+\s*", text)
        for index, piece in enumerate(pieces):
            if index == len(pieces) - 1:
                state.usage = self._usage(call.messages, "".join(pieces))
                state.usage_final = True
                state.finish_reason = finish
            yield piece

    async def _astream_deltas(
        self, call: ProviderCall, state: StreamState
    ) -> AsyncGenerator[str, None]:
        for piece in self._stream_deltas(call, state):
            # Let other tasks run between chunks, as a real stream would.
            await asyncio.sleep(0)
            yield piece

    def map_error(self, error: Exception) -> NetrunException | None:
        return None
