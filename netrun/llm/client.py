"""``LLMClient``: the provider chain, with retries, policy hooks, fallbacks and telemetry.

For each provider in chain order, each attempt goes::

    enforcer.reserve(...)  ->  adapter call  ->  reservation.settle(usage) / .release()
                                             ->  telemetry.record(outcome, AttemptInfo)

* A transient failure (429, 5xx, 529, timeout, unreachable) is retried on the same provider
  up to ``max_retries`` times, waiting what ``Retry-After`` asks (else a full-jitter
  exponential backoff, :mod:`netrun.llm.resilience.backoff`);
  a ``Retry-After`` longer than ``max_retry_wait`` moves on to the next provider at once.
* A provider that refuses our key, or that a policy rule refuses, is skipped.
* A request the provider rejects as invalid (400/413/422) is raised at once: another
  provider would reject it too.
* ``BudgetExceededError`` from the enforcer falls back to the local model (Ollama, else the
  offline provider) when ``enforcer.fallback_to_local`` is true, and is raised otherwise.
* A stream that fails before its first token falls back like a call; one that broke
  mid-answer raises :class:`~netrun.llm.adapters.LLMStreamInterruptedError`, after settling
  what was consumed. A consumer that stops reading (``close()``) is billed what it consumed.

When every provider failed, the last error is raised with ``details["providers_tried"]``.
Framework-neutral: no Django import; :meth:`LLMClient.from_config` reads ``LLMConfig``.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

from netrun.core.blocks import AsyncClosing, Closing
from netrun.errors import (
    BudgetExceededError,
    ConfigurationError,
    NetrunException,
    ValidationError,
)
from netrun.llm.adapters import (
    ADAPTER_CLASSES,
    LOCAL_PROVIDERS,
    BaseLLMAdapter,
    LLMProviderAuthenticationError,
    LLMStreamInterruptedError,
    canonical_provider,
)
from netrun.llm.adapters.base import MessagesInput, _ExecuteAPI
from netrun.llm.adapters.errors import is_retryable, retry_after_of
from netrun.llm.adapters.registry import build_adapter
from netrun.llm.protocols import LLMTelemetry, PolicyEnforcerProtocol, ReservationProtocol
from netrun.llm.resilience.backoff import Backoff, RetryPlan
from netrun.llm.resilience.breaker import Admission, CircuitBreaker, LLMCircuitOpenError
from netrun.llm.resilience.config import breaker_from_config
from netrun.llm.resilience.context import is_context_window_error, split_target
from netrun.llm.resilience.routing import AliasTable, route
from netrun.llm.structured import response_schema
from netrun.llm.tools import normalize_tool_choice, normalize_tools, tools_token_bound
from netrun.llm.types import (
    AttemptInfo,
    ChatMessage,
    EmbeddingResponse,
    LLMResponse,
    StreamChunk,
    Usage,
    normalize_messages,
    prompt_token_bound,
)
from netrun.logging import get_logger

if TYPE_CHECKING:
    from netrun.llm.conf import LLMConfig

__all__ = ["AsyncClientStream", "ClientStream", "LLMClient", "build_adapter"]

logger = get_logger(__name__)


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
        self.current: _Candidate | None = None
        self.admission: Admission | None = None
        self.widened: set[tuple[str, str]] = set()
        self.attempt = 0
        self.retry = False
        self.tried: list[dict[str, Any]] = []
        self.last_error: NetrunException | None = None
        self.started = time.perf_counter()

    def next(self) -> _Candidate | None:
        """The next attempt: a retry of the current candidate or the next one whose circuit
        breaker lets it through."""
        while (candidate := self._advance()) is not None:
            if self._admitted(candidate):
                return candidate
        return None

    def _advance(self) -> _Candidate | None:
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

    def _admitted(self, candidate: _Candidate) -> bool:
        breaker = self.client.breaker
        if breaker is None:
            return True
        provider = candidate.adapter.provider
        self.admission = breaker.allow(provider, candidate.model)
        if self.admission.allowed:
            return True
        retry_in = self.admission.retry_in
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

    def failed(self, error: NetrunException) -> float | None:
        """An attempt failed: the seconds to wait before retrying it, or ``None`` to move on.

        Raises ``error`` when no provider should be tried after it.
        """
        retry_after = retry_after_of(error)
        opened = self._breaker_failed(error, retry_after)
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

    def _breaker_failed(self, error: NetrunException, retry_after: float | None) -> bool:
        """Tell the breaker; whether it is open now (a retry would be refused)."""
        breaker = self.client.breaker
        if breaker is None or self.current is None:
            return False
        provider, model = self.current.adapter.provider, self.current.model
        if retry_after is not None and retry_after > self.client.max_retry_wait:
            # The provider said when to come back: no caller should ask before that.
            breaker.cool_down(provider, model, retry_after)
            return True
        return breaker.record_failure(provider, model, error).state == "open"

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
        breaker = self.client.breaker
        if breaker is not None and self.current is not None and self.admission is not None:
            breaker.record_success(
                self.current.adapter.provider, self.current.model, self.admission
            )
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


class LLMClient(_ExecuteAPI):
    """Calls the first provider of a chain that answers, within the policy's limits.

    ``adapters`` is the chain, in order. ``local_adapter`` answers when a budget refuses and
    ``enforcer.fallback_to_local`` is true. ``enforcer`` and ``telemetry`` follow the
    protocols in :mod:`netrun.llm.protocols`. ``sleep`` / ``async_sleep`` are injectable so
    tests can observe the waits, and ``rng`` pins the backoff's full jitter
    (:class:`~netrun.llm.resilience.Backoff`). ``breaker`` (a
    :class:`~netrun.llm.resilience.CircuitBreaker`) skips a provider and model that keeps
    failing; ``from_config`` builds one from the settings. ``context_fallbacks`` maps a
    model to the larger-context model (``provider/model`` for another provider) a prompt too
    long for it is retried on, once. ``model_aliases`` names a model or a routing group
    (:mod:`netrun.llm.resilience.routing`): ``chat(..., model="fast")`` tries its models.
    """

    def __init__(
        self,
        adapters: Sequence[BaseLLMAdapter],
        *,
        local_adapter: BaseLLMAdapter | None = None,
        enforcer: PolicyEnforcerProtocol | None = None,
        telemetry: LLMTelemetry | None = None,
        max_retries: int = 2,
        max_retry_wait: float = 30.0,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        sleep: Callable[[float], object] = time.sleep,
        async_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        rng: random.Random | None = None,
        breaker: CircuitBreaker | None = None,
        context_fallbacks: Mapping[str, str] | None = None,
        model_aliases: AliasTable | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.adapters = list(adapters)
        self.local_adapter = local_adapter
        self.enforcer = enforcer
        self.telemetry = telemetry
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.breaker = breaker
        self.context_fallbacks = dict(context_fallbacks or {})
        self.model_aliases = dict(model_aliases or {})

    @classmethod
    def from_config(
        cls,
        config: LLMConfig | None = None,
        *,
        enforcer: PolicyEnforcerProtocol | None = None,
        telemetry: LLMTelemetry | None = None,
        **kwargs: Any,
    ) -> LLMClient:
        """A client for ``LLMConfig`` (default: the current settings).

        A provider whose key or endpoint is missing is left out of the chain (logged; the
        system check ``netrun.llm.W001`` reports it); an unknown name raises
        :class:`ConfigurationError`.
        """
        if config is None:
            from netrun.config import get_settings
            from netrun.llm.conf import LLMConfig

            config = get_settings(LLMConfig)
        adapters: dict[str, BaseLLMAdapter] = {}
        for name in config.chain:
            provider = canonical_provider(name)
            if provider in adapters:
                continue
            if provider is not None and _sdk_missing(ADAPTER_CLASSES[provider]):
                continue
            try:
                adapters[str(provider)] = build_adapter(name, config)
            except ConfigurationError as error:
                if provider is None:
                    raise
                logger.warning(
                    "llm_provider_skipped",
                    provider=provider,
                    missing=error.details.get("setting"),
                    result="skipped",
                )
        local: BaseLLMAdapter | None = None
        local_name = canonical_provider(config.local_provider) if config.local_provider else None
        if local_name in LOCAL_PROVIDERS:
            local = adapters.get(str(local_name))
            if local is None and not _sdk_missing(ADAPTER_CLASSES[str(local_name)]):
                local = build_adapter(str(local_name), config)
        kwargs.setdefault("max_retries", config.max_retries)
        kwargs.setdefault("max_retry_wait", config.max_retry_wait)
        if "breaker" not in kwargs:
            kwargs["breaker"] = breaker_from_config(config)
        kwargs.setdefault("context_fallbacks", config.context_fallbacks)
        kwargs.setdefault("model_aliases", config.model_aliases)
        return cls(
            list(adapters.values()),
            local_adapter=local,
            enforcer=enforcer,
            telemetry=telemetry,
            **kwargs,
        )

    def local_for(self, name: str | None) -> BaseLLMAdapter | None:
        """The local adapter a budget refusal falls back to: the one the policy names when
        this client has it, else ``local_adapter``."""
        wanted = canonical_provider(name) if name else None
        if wanted in LOCAL_PROVIDERS:
            for adapter in [*self.adapters, *([self.local_adapter] if self.local_adapter else [])]:
                if adapter.provider == wanted:
                    return adapter
        return self.local_adapter

    def adapter_for(self, provider: str) -> BaseLLMAdapter | None:
        """This client's adapter of ``provider`` (chain or local), else ``None``."""
        wanted = canonical_provider(provider)
        for adapter in [*self.adapters, *([self.local_adapter] if self.local_adapter else [])]:
            if adapter.provider == wanted:
                return adapter
        return None

    def __repr__(self) -> str:
        chain = ",".join(adapter.provider for adapter in self.adapters)
        return f"<LLMClient chain={chain!r}>"

    # ------------------------------------------------------------------ helpers

    def _retry_plan(
        self, error: NetrunException, attempt: int, hint: float | None
    ) -> RetryPlan | None:
        if not is_retryable(error) or attempt > self.max_retries:
            return None
        backoff = Backoff(self.backoff, self.max_backoff, self.max_retry_wait, self._rng)
        return backoff.plan(attempt, hint)

    def _record(self, outcome: LLMResponse | BaseException, info: AttemptInfo) -> None:
        if self.telemetry is None:
            return
        try:
            self.telemetry.record(outcome, info)
        except Exception as error:
            # Telemetry must never turn an answer into a failure.
            logger.warning("llm_telemetry_failed", error_type=type(error).__name__)

    def _candidates(self, provider: str | None, model: str | None) -> list[_Candidate]:
        if provider is None and model is not None and model in self.model_aliases:
            return self._routed(model)
        if provider is not None:
            wanted = canonical_provider(provider)
            pool = [*self.adapters, *([self.local_adapter] if self.local_adapter else [])]
            for adapter in pool:
                if adapter.provider == wanted:
                    return [_Candidate(adapter, model or adapter.model, 0, None)]
            raise ValueError(f"provider {provider!r} is not in this client's chain")
        # An adapter built by hand whose SDK is missing is skipped like a keyless one.
        candidates = [
            _Candidate(adapter, adapter.model, position, None)
            for position, adapter in enumerate(
                adapter for adapter in self.adapters if not _sdk_missing(adapter)
            )
        ]
        if candidates and model:
            # The model names the first provider's model; fallbacks use their own defaults.
            candidates[0].model = model
        return candidates

    def _routed(self, alias: str) -> list[_Candidate]:
        """The candidates of a model alias or routing group, in its order."""
        candidates: list[_Candidate] = []
        for providers, model in route(alias, self.model_aliases) or []:
            adapter = next(
                (found for name in providers if (found := self.adapter_for(name))),
                None if providers else (self.adapters[0] if self.adapters else None),
            )
            if adapter is None or _sdk_missing(adapter):
                logger.warning(
                    "llm_route",
                    alias=alias,
                    model=model,
                    decision="skipped",
                    reason="provider_not_in_chain",
                )
                continue
            candidates.append(_Candidate(adapter, model, len(candidates), None))
        logger.info(
            "llm_route",
            alias=alias,
            decision="routed",
            reason="alias",
            candidates=[f"{c.adapter.provider}/{c.model}" for c in candidates],
        )
        return candidates

    def _run(
        self,
        messages: MessagesInput,
        provider: str | None,
        model: str | None,
        max_tokens: int | None,
        reason: str | None,
        options: dict[str, Any],
        *,
        streamed: bool,
    ) -> _ChainRun:
        """The run of one call (``chat``, ``stream`` and their async twins take the same).

        ``tools`` in ``options`` are checked once, before any reservation, and handed on as
        :class:`~netrun.llm.tools.ToolSpec`: each adapter renders them in its own format."""
        msgs = normalize_messages(messages)
        tools = normalize_tools(options.get("tools"))
        if tools:
            options["tools"] = tools
        normalize_tool_choice(options.get("tool_choice"), tools)
        schema = response_schema(options.get("response_schema"))
        if schema is not None:
            options["response_schema"] = schema
        return _ChainRun(
            self,
            self._candidates(provider, model),
            msgs,
            streamed=streamed,
            reason=reason,
            max_tokens=max_tokens,
            tools_bound=tools_token_bound(tools) + (schema.bound() if schema else 0),
        )

    def _reserve(self, run: _ChainRun, candidate: _Candidate) -> ReservationProtocol:
        if self.enforcer is None:
            return _NO_RESERVATION
        return self.enforcer.reserve(**run.reservation(candidate))

    async def _areserve(self, run: _ChainRun, candidate: _Candidate) -> ReservationProtocol:
        if self.enforcer is None:
            return _NO_RESERVATION
        areserve = getattr(self.enforcer, "areserve", None)
        if areserve is None:
            return self._reserve(run, candidate)
        reservation: ReservationProtocol = await areserve(**run.reservation(candidate))
        return reservation

    @staticmethod
    def _settle(reservation: ReservationProtocol, usage: Usage | None) -> None:
        try:
            if usage is None:
                reservation.release()
            else:
                reservation.settle(usage)
        except Exception as error:
            # The answer exists and was paid for; an unsettled hold expires in the ledger.
            logger.error("llm_settle_failed", error_type=type(error).__name__)

    @staticmethod
    async def _asettle(reservation: ReservationProtocol, usage: Usage | None) -> None:
        try:
            method = getattr(reservation, "arelease" if usage is None else "asettle", None)
            if method is None:
                LLMClient._settle(reservation, usage)
            elif usage is None:
                await method()
            else:
                await method(usage)
        except Exception as error:
            logger.error("llm_settle_failed", error_type=type(error).__name__)

    # ------------------------------------------------------------------ whole answers

    def chat(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        provider: str | None = None,
        reason: str | None = None,
        **options: Any,
    ) -> LLMResponse:
        """The first answer the chain gives. ``provider`` pins one provider; ``model``
        applies to the first (or pinned) provider; ``reason`` goes to the policy."""
        run = self._run(messages, provider, model, max_tokens, reason, options, streamed=False)
        return self._through_chain(
            run,
            lambda candidate: candidate.adapter.chat(
                run.messages,
                model=candidate.model,
                max_tokens=run.output_limit(candidate),
                **options,
            ),
        )

    async def achat(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        provider: str | None = None,
        reason: str | None = None,
        **options: Any,
    ) -> LLMResponse:
        """The async twin of :meth:`chat`; cancellation releases the reservation."""
        run = self._run(messages, provider, model, max_tokens, reason, options, streamed=False)
        return await self._athrough_chain(
            run,
            lambda candidate: candidate.adapter.achat(
                run.messages,
                model=candidate.model,
                max_tokens=run.output_limit(candidate),
                **options,
            ),
        )

    def embed(
        self,
        texts: Sequence[str],
        *,
        model: str | None = None,
        provider: str | None = None,
        reason: str | None = None,
    ) -> EmbeddingResponse:
        """One vector per text, from the first provider of the chain with an embeddings API
        that answers, under the same policy, budget, retries and telemetry as ``chat``.

        ``model`` names the first (or pinned) provider's embedding model; the others use
        their ``embedding_model``. The hold is the texts' byte bound at the input price."""
        run = self._embedding_run(texts, model, provider, reason)
        return self._through_chain(
            run, lambda candidate: candidate.adapter.embed(texts, model=candidate.model)
        )

    async def aembed(
        self,
        texts: Sequence[str],
        *,
        model: str | None = None,
        provider: str | None = None,
        reason: str | None = None,
    ) -> EmbeddingResponse:
        """The async twin of :meth:`embed`."""
        run = self._embedding_run(texts, model, provider, reason)
        return await self._athrough_chain(
            run, lambda candidate: candidate.adapter.aembed(texts, model=candidate.model)
        )

    def _embedding_run(
        self,
        texts: Sequence[str],
        model: str | None,
        provider: str | None,
        reason: str | None,
    ) -> _ChainRun:
        if isinstance(texts, str) or not texts or not all(isinstance(t, str) for t in texts):
            raise ValueError("texts must be a non-empty list of strings")
        candidates = [
            candidate
            for candidate in self._candidates(provider, None)
            if candidate.adapter.embedding_model is not None
        ]
        if provider is not None and not candidates:
            raise ValueError(f"provider {provider!r} has no embeddings API")
        for position, candidate in enumerate(candidates):
            embedding_model = candidate.adapter.embedding_model
            candidate.model = model if model and position == 0 else str(embedding_model)
            candidate.position = position
        return _ChainRun(
            self,
            candidates,
            [ChatMessage("user", text) for text in texts],
            streamed=False,
            reason=reason,
            max_tokens=None,
            operation="embeddings",
        )

    def _through_chain(self, run: _ChainRun, attempt: Callable[[_Candidate], _Answer]) -> _Answer:
        """Each candidate in turn: reserve, call, settle (release on failure), retry or fall
        back as ``run`` decides; the first answer, or the chain's error."""
        while (candidate := run.next()) is not None:
            try:
                reservation = self._reserve(run, candidate)
            except NetrunException as error:
                run.refused(error)
                continue
            try:
                response = attempt(candidate)
            except NetrunException as error:
                self._settle(reservation, None)
                wait = run.failed(error)
                if wait is not None:
                    self._sleep(wait)
                continue
            except BaseException:
                self._settle(reservation, None)
                raise
            self._settle(reservation, response.usage)
            return run.succeeded(response)
        raise run.exhausted()

    async def _athrough_chain(
        self, run: _ChainRun, attempt: Callable[[_Candidate], Awaitable[_Answer]]
    ) -> _Answer:
        """The async twin of :meth:`_through_chain`; cancellation releases the hold."""
        while (candidate := run.next()) is not None:
            try:
                reservation = await self._areserve(run, candidate)
            except NetrunException as error:
                run.refused(error)
                continue
            try:
                response = await attempt(candidate)
            except NetrunException as error:
                await self._asettle(reservation, None)
                wait = run.failed(error)
                if wait is not None:
                    await self._async_sleep(wait)
                continue
            except BaseException:
                await self._asettle(reservation, None)
                raise
            await self._asettle(reservation, response.usage)
            return run.succeeded(response)
        raise run.exhausted()

    # ------------------------------------------------------------------ streams

    def stream(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        provider: str | None = None,
        reason: str | None = None,
        **options: Any,
    ) -> ClientStream:
        """Stream from the first provider that starts answering; see :class:`ClientStream`."""
        run = self._run(messages, provider, model, max_tokens, reason, options, streamed=True)
        return ClientStream(self, run, options)

    def astream(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        provider: str | None = None,
        reason: str | None = None,
        **options: Any,
    ) -> AsyncClientStream:
        """The async twin of :meth:`stream`."""
        run = self._run(messages, provider, model, max_tokens, reason, options, streamed=True)
        return AsyncClientStream(self, run, options)


def _usage_of(response: LLMResponse | None) -> Usage | None:
    """What a (possibly unfinished) stream is billed: its usage, or nothing to release."""
    return response.usage if response else None


_Chunks = TypeVar("_Chunks", Generator[StreamChunk, None, None], AsyncGenerator[StreamChunk, None])


class _ChainStream(Generic[_Chunks]):
    """What the two client stream twins share: the run through the chain and its response."""

    def __init__(self, client: LLMClient, run: _ChainRun, options: Mapping[str, Any]) -> None:
        self._client = client
        self._run_state = run
        self._options = options
        self.response: LLMResponse | None = None
        self._gen: _Chunks = self._generate()

    def _generate(self) -> _Chunks:
        raise NotImplementedError

    def _succeeded(self, response: LLMResponse | None, run: _ChainRun) -> None:
        if response is not None:
            self.response = run.succeeded(response)

    @property
    def text(self) -> str:
        return self.response.text if self.response else ""


class ClientStream(Closing, _ChainStream[Generator[StreamChunk, None, None]]):
    """A streamed answer through the chain: iterate for :class:`StreamChunk` deltas.

    Nothing is sent until the first chunk is asked for. :attr:`response` is set when the
    stream ends: complete, cut mid-answer (``LLMStreamInterruptedError`` is raised) or closed
    early by the consumer (``close()``, ``with``, or dropping it), each billed what was
    consumed.
    """

    def _generate(self) -> Generator[StreamChunk, None, None]:
        client, run = self._client, self._run_state
        while (candidate := run.next()) is not None:
            try:
                reservation = client._reserve(run, candidate)
            except NetrunException as error:
                run.refused(error)
                continue
            stream = candidate.adapter.stream(
                run.messages,
                model=candidate.model,
                max_tokens=run.output_limit(candidate),
                **self._options,
            )
            try:
                first = next(stream)
            except StopIteration:
                # A complete answer with no text at all.
                self._finish(reservation, stream.response, run)
                return
            except NetrunException as error:
                # Nothing was delivered: bill what the provider reported, then fall back.
                client._settle(reservation, _usage_of(stream.response))
                wait = run.failed(error)
                if wait is not None:
                    client._sleep(wait)
                continue
            except BaseException:
                stream.close()
                client._settle(reservation, None)
                raise
            try:
                yield first
                yield from stream
            except LLMStreamInterruptedError as error:
                self.response = error.response
                client._settle(reservation, _usage_of(error.response))
                client._record(error, run.info())
                raise
            except BaseException:
                # GeneratorExit (close()) or an error in the consumer: bill what it consumed.
                stream.close()
                client._settle(reservation, _usage_of(stream.response))
                self._succeeded(stream.response, run)
                raise
            self._finish(reservation, stream.response, run)
            return
        raise run.exhausted()

    def _finish(
        self, reservation: ReservationProtocol, response: LLMResponse | None, run: _ChainRun
    ) -> None:
        self._client._settle(reservation, _usage_of(response))
        self._succeeded(response, run)

    def __iter__(self) -> ClientStream:
        return self

    def __next__(self) -> StreamChunk:
        return next(self._gen)

    def close(self) -> None:
        """Stop reading; the provider stream is closed and what was consumed is billed."""
        self._gen.close()

    def __del__(self) -> None:
        gen = getattr(self, "_gen", None)
        if gen is not None:
            gen.close()


class AsyncClientStream(AsyncClosing, _ChainStream[AsyncGenerator[StreamChunk, None]]):
    """The async twin of :class:`ClientStream`: ``async for``, ``aclose()``, ``async with``."""

    async def _generate(self) -> AsyncGenerator[StreamChunk, None]:
        client, run = self._client, self._run_state
        while (candidate := run.next()) is not None:
            try:
                reservation = await client._areserve(run, candidate)
            except NetrunException as error:
                run.refused(error)
                continue
            stream = candidate.adapter.astream(
                run.messages,
                model=candidate.model,
                max_tokens=run.output_limit(candidate),
                **self._options,
            )
            try:
                first = await stream.__anext__()
            except StopAsyncIteration:
                await self._finish(reservation, stream.response, run)
                return
            except NetrunException as error:
                await client._asettle(reservation, _usage_of(stream.response))
                wait = run.failed(error)
                if wait is not None:
                    await client._async_sleep(wait)
                continue
            except BaseException:
                await stream.aclose()
                await client._asettle(reservation, None)
                raise
            try:
                yield first
                async for chunk in stream:
                    yield chunk
            except LLMStreamInterruptedError as error:
                self.response = error.response
                await client._asettle(reservation, _usage_of(error.response))
                client._record(error, run.info())
                raise
            except BaseException:
                await stream.aclose()
                await client._asettle(reservation, _usage_of(stream.response))
                self._succeeded(stream.response, run)
                raise
            await self._finish(reservation, stream.response, run)
            return
        raise run.exhausted()

    async def _finish(
        self, reservation: ReservationProtocol, response: LLMResponse | None, run: _ChainRun
    ) -> None:
        await self._client._asettle(reservation, _usage_of(response))
        self._succeeded(response, run)

    def __aiter__(self) -> AsyncClientStream:
        return self

    async def __anext__(self) -> StreamChunk:
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        await self._gen.aclose()
