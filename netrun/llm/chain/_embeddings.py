"""``LLMClient.embed`` and ``aembed``: vectors through the chain, one flow for both.

Embeddings go through the same attempts as chat (:func:`~._flow.attempts`): the policy, the
budget hold (the texts' byte bound at the input price, no output), retries, breakers and
telemetry; only the providers with an embeddings API are candidates. Framework-neutral.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from netrun.llm.chain._flow import Ask, Effect, adrive, attempts, drive, tagged
from netrun.llm.chain._run import _ChainRun
from netrun.llm.types import ChatMessage, EmbeddingResponse

if TYPE_CHECKING:
    from netrun.llm.chain.client import LLMClient

__all__ = ["_EmbeddingsAPI"]


class _EmbeddingsAPI:
    """The embedding calls of :class:`~netrun.llm.chain.client.LLMClient`."""

    def embed(
        self,
        texts: Sequence[str],
        *,
        model: str | None = None,
        provider: str | None = None,
        reason: str | None = None,
        tags: Iterable[str] = (),
    ) -> EmbeddingResponse:
        """One vector per text, from the first provider of the chain with an embeddings API
        that answers, under the same policy, budget, retries and telemetry as ``chat``.

        ``model`` names the first (or pinned) provider's embedding model; the others use
        their ``embedding_model``. The hold is the texts' byte bound at the input price.
        ``tags`` are bound around the call, as ``chat``'s."""
        with tagged(tags):
            return drive(self._embed(texts, model, provider, reason))

    async def aembed(
        self,
        texts: Sequence[str],
        *,
        model: str | None = None,
        provider: str | None = None,
        reason: str | None = None,
        tags: Iterable[str] = (),
    ) -> EmbeddingResponse:
        """The async twin of :meth:`embed`."""
        with tagged(tags):
            return await adrive(self._embed(texts, model, provider, reason))

    def _embed(
        self,
        texts: Sequence[str],
        model: str | None,
        provider: str | None,
        reason: str | None,
    ) -> Generator[Effect, Any, EmbeddingResponse]:
        if isinstance(texts, str) or not texts or not all(isinstance(t, str) for t in texts):
            raise ValueError("texts must be a non-empty list of strings")
        client = cast("LLMClient", self)  # the one class this is a part of
        candidates = [
            candidate
            for candidate in client._candidates(provider, None)
            if candidate.adapter.embedding_model is not None
        ]
        if provider is not None and not candidates:
            raise ValueError(f"provider {provider!r} has no embeddings API")
        for position, candidate in enumerate(candidates):
            embedding_model = candidate.adapter.embedding_model
            candidate.model = model if model and position == 0 else str(embedding_model)
            candidate.position = position
        run = _ChainRun(
            client,
            candidates,
            [ChatMessage("user", text) for text in texts],
            streamed=False,
            reason=reason,
            max_tokens=None,
            operation="embeddings",
        )
        return attempts(
            run,
            lambda candidate: Ask(candidate.adapter, "embed", (texts,), {"model": candidate.model}),
        )
