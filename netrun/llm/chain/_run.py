"""The decisions of one call through the chain, shared by every driver of it.

:class:`_ChainRun` knows which candidate comes next (a retry, the next provider, a local
model after a budget refusal, a larger-context model), what to reserve for it, how long to
wait after a transient failure and when to give up; it does no I/O of its own. The flows of
:mod:`netrun.llm.chain._flow` ask it at each step. Framework-neutral: no Django import.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from netrun.errors import (
    BudgetExceededError,
    ConfigurationError,
    NetrunException,
    ValidationError,
)
from netrun.llm.adapters import BaseLLMAdapter, LLMProviderAuthenticationError
from netrun.llm.adapters.errors import is_retryable, retry_after_of
from netrun.llm.resilience.breaker import Admission, LLMCircuitOpenError
from netrun.llm.resilience.context import is_context_window_error, split_target
from netrun.llm.types import AttemptInfo, ChatMessage, LLMResponse, Usage, prompt_token_bound
from netrun.logging import get_logger

if TYPE_CHECKING:
    from netrun.llm.chain.client import LLMClient

__all__ = ["_NO_RESERVATION", "_Answer", "_Candidate", "_ChainRun", "_sdk_missing"]

# The logger name of the single module the chain was before 2.1: logging configuration
# written for it keeps working.
logger = get_logger("netrun.llm.client")


def _sdk_missing(adapter: type[BaseLLMAdapter] | BaseLLMAdapter) -> bool:
    """Whether the adapter's SDK is not installed; logs the skip (``netrun.llm.W003``)."""
    missing = adapter.missing_sdk()
    if missing is None:
        return False
    hint = f'pip install "netrun[{adapter.sdk_extra}]"' if adapter.sdk_extra else "pip install"
    logger.warning(
        "llm_provider_skipped",
        provider=adapter.provider,
        missing_dependency=missing,
        hint=hint,
        result="skipped",
    )
    return True


class _NoReservation:
    """Stands in for a reservation when the client has no enforcer."""

    def settle(self, usage: Usage) -> None:
        return None

    def release(self) -> None:
        return None


_NO_RESERVATION = _NoReservation()
#: What one attempt through the chain answers: a chat response or an embedding one.
_Answer = TypeVar("_Answer", bound=LLMResponse)


class _ReserveArguments(TypedDict):
    provider: str
    model: str
    estimated_input_tokens: int
    max_output_tokens: int
    reason: str | None


@dataclass
class _Candidate:
    adapter: BaseLLMAdapter
    model: str
    position: int
    fallback_reason: str | None


class _ChainRun:
    """The decisions of one call through the chain, shared by the sync and async loops."""

    def __init__(
        self,
        client: LLMClient,
        candidates: list[_Candidate],
        messages: list[ChatMessage],
        *,
        streamed: bool,
        reason: str | None,
        max_tokens: int | None,
        tools_bound: int = 0,
        operation: str = "chat",
    ) -> None:
        self.client = client
        self.operation = operation
        self.queue = deque(candidates)
        self.messages = messages
        self.streamed = streamed
        self.reason = reason
        # An upper bound, not an average: the budget hold must cover any text (and the
        # tools' definitions, sent with every attempt).
        self.estimated_input = prompt_token_bound(messages) + tools_bound
        self.max_tokens = max_tokens
        self.first = candidates[0].adapter.provider if candidates else None
        #: The model name still to route by the client's alias source (:meth:`route`).
        self.alias: str | None = None
        self.current: _Candidate | None = None
        self.admission: Admission | None = None
        self.widened: set[tuple[str, str]] = set()
        self.attempt = 0
        self.retry = False
        self.tried: list[dict[str, Any]] = []
        self.last_error: NetrunException | None = None
        self.started = time.perf_counter()

    def route(self, candidates: list[_Candidate]) -> None:
        """The candidates of a call routed once it started (by its client's alias source)."""
        self.alias = None
        self.queue = deque(candidates)
        self.first = candidates[0].adapter.provider if candidates else None

    def advance(self) -> _Candidate | None:
        """The next attempt: a retry of the current candidate, else the next candidate (its
        circuit breaker, if any, is asked next: :meth:`admitted`)."""
        if self.retry and self.current is not None:
            self.retry = False
            self.attempt += 1
            return self.current
        if not self.queue:
            return None
        self.current = self.queue.popleft()
        self.attempt = 1
        self.started = time.perf_counter()
        return self.current

    def admitted(self, candidate: _Candidate, admission: Admission | None) -> bool:
        """Whether ``candidate`` may be tried, given its breaker's ``admission`` (``None``:
        the client has no breaker); a refusal is recorded and logged."""
        self.admission = admission
        if admission is None or admission.allowed:
            return True
        provider = candidate.adapter.provider
        retry_in = admission.retry_in
        error = LLMCircuitOpenError(
            details={
                "provider": provider,
                "model": candidate.model,
                "retry_after": math.ceil(retry_in),
            }
        )
        self._note(error)
        self.client._record(error, self.info())
        logger.info(
            "llm_route",
            provider=provider,
            model=candidate.model,
            decision="skipped",
            reason="circuit_open",
            retry_in_s=round(retry_in, 3),
        )
        for waiting in self.queue:
            waiting.fallback_reason = waiting.fallback_reason or "circuit_open"
        return False

    def output_limit(self, candidate: _Candidate) -> int:
        if self.operation == "embeddings":
            return 0  # an embedding bills its input only
        return self.max_tokens or candidate.adapter.max_tokens

    def reservation(self, candidate: _Candidate) -> _ReserveArguments:
        """The enforcer's ``reserve``/``areserve`` arguments for an attempt on ``candidate``."""
        return {
            "provider": candidate.adapter.provider,
            "model": candidate.model,
            "estimated_input_tokens": self.estimated_input,
            "max_output_tokens": self.output_limit(candidate),
            "reason": self.reason,
        }

    def info(self, *, retry_after: float | None = None, will_retry: bool = False) -> AttemptInfo:
        assert self.current is not None
        return AttemptInfo(
            provider=self.current.adapter.provider,
            model=self.current.model,
            attempt=self.attempt,
            position=self.current.position,
            streamed=self.streamed,
            duration_ms=(time.perf_counter() - self.started) * 1000,
            reason=self.reason,
            fallback_reason=self.current.fallback_reason,
            retry_after=retry_after,
            will_retry=will_retry,
            operation=self.operation,
        )

    def _note(self, error: NetrunException) -> None:
        assert self.current is not None
        self.last_error = error
        self.tried.append({"provider": self.current.adapter.provider, "error": error.error_code})

    def refused(self, error: NetrunException) -> None:
        """The enforcer refused the attempt: fall back to local, skip the provider, or raise."""
        self._note(error)
        self.client._record(error, self.info())
        if isinstance(error, BudgetExceededError):
            enforcer = self.client.enforcer
            local = self.client.local_for(getattr(enforcer, "local_provider", None))
            current = self.current.adapter if self.current else None
            if (
                local is not None
                and enforcer is not None
                and getattr(enforcer, "fallback_to_local", False)
                and current is not local
                and (self.operation != "embeddings" or local.embedding_model is not None)
            ):
                logger.info(
                    "llm_budget_fallback",
                    provider=current.provider if current else None,
                    fallback_provider=local.provider,
                )
                position = self.current.position + 1 if self.current else 0
                self.queue = deque([_Candidate(local, local.model, position, "budget")])
                return
            raise error
        # Another rule refused this provider or model: the next provider may be allowed.
        for candidate in self.queue:
            candidate.fallback_reason = candidate.fallback_reason or "policy"

    def failed(self, error: NetrunException, *, opened: bool = False) -> float | None:
        """An attempt failed: the seconds to wait before retrying it, or ``None`` to move on.
        ``opened``: the failure opened the breaker (or cooled the model down), so a retry
        would be refused.

        Raises ``error`` when no provider should be tried after it.
        """
        retry_after = retry_after_of(error)
        plan = None if opened else self.client._retry_plan(error, self.attempt, retry_after)
        self._note(error)
        self.client._record(error, self.info(retry_after=retry_after, will_retry=plan is not None))
        if plan is not None:
            assert self.current is not None
            logger.info(
                "llm_retry",
                provider=self.current.adapter.provider,
                model=self.current.model,
                attempt=self.attempt,
                error_code=error.error_code,
                reason=plan.reason,
                wait_s=round(plan.seconds, 3),
            )
            self.retry = True
            return plan.seconds
        if isinstance(error, ValidationError):
            if self._context_fallback(error):
                return None
            raise error
        if not is_retryable(error) and not isinstance(error, LLMProviderAuthenticationError):
            raise error
        for candidate in self.queue:
            candidate.fallback_reason = candidate.fallback_reason or "error"
        return None

    def cools_down(self, error: NetrunException) -> float | None:
        """The seconds the failed model should be paused for, when the provider asked to be
        left alone for longer than this client waits (``None``: count the failure)."""
        retry_after = retry_after_of(error)
        if retry_after is not None and retry_after > self.client.max_retry_wait:
            # The provider said when to come back: no caller should ask before that.
            return retry_after
        return None

    def _context_fallback(self, error: ValidationError) -> bool:
        """Queue the larger-context model configured for a prompt too long for this one."""
        current = self.current
        if current is None or not is_context_window_error(error):
            return False
        target = self.client.context_fallbacks.get(current.model)
        provider, model = split_target(target) if target else (None, "")
        adapter = current.adapter if provider is None else self.client.adapter_for(provider)
        if adapter is None or not model or (adapter.provider, model) in self.widened:
            logger.info(
                "llm_route",
                provider=current.adapter.provider,
                model=current.model,
                decision="raised",
                reason="context_window_no_fallback",
            )
            return False
        self.widened.update({(current.adapter.provider, current.model), (adapter.provider, model)})
        self.queue.appendleft(_Candidate(adapter, model, current.position, "context_window"))
        logger.info(
            "llm_route",
            provider=adapter.provider,
            model=model,
            decision="fallback",
            reason="context_window",
            from_provider=current.adapter.provider,
            from_model=current.model,
        )
        return True

    def succeeded(self, response: _Answer) -> _Answer:
        """The answer, recorded (the breaker was told by the flow: :func:`~._flow.answered`)."""
        self.client._record(response, self.info())
        if self.current is not None and self.current.position > 0:
            return response.with_fallback_from(self.first)
        return response

    def exhausted(self) -> NetrunException:
        error = self.last_error or ConfigurationError(
            "No LLM provider is configured.", setting="NETRUN_LLM_PROVIDER_CHAIN"
        )
        error.details["providers_tried"] = self.tried
        logger.warning("llm_chain_exhausted", providers_tried=len(self.tried), result="error")
        return error
