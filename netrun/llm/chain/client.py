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
The decisions of a call live in ``_run``, its attempts (written once, driven sync or async)
in ``_flow``, the streams in :mod:`netrun.llm.chain.streams`, embeddings in ``_embeddings``.
Framework-neutral: no Django import; :meth:`LLMClient.from_config` reads ``LLMConfig``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from netrun.errors import ConfigurationError, NetrunException
from netrun.llm.adapters import (
    ADAPTER_CLASSES,
    LOCAL_PROVIDERS,
    BaseLLMAdapter,
    canonical_provider,
)
from netrun.llm.adapters.base import MessagesInput, _ExecuteAPI
from netrun.llm.adapters.errors import is_retryable
from netrun.llm.adapters.registry import build_adapter
from netrun.llm.chain._embeddings import _EmbeddingsAPI
from netrun.llm.chain._flow import Ask, Effect, adrive, attempts, drive, record_attempt, tagged
from netrun.llm.chain._run import _Candidate, _ChainRun, _sdk_missing, logger
from netrun.llm.chain.streams import AsyncClientStream, ClientStream
from netrun.llm.protocols import LLMTelemetry, PolicyEnforcerProtocol
from netrun.llm.resilience.backoff import Backoff, RetryPlan
from netrun.llm.resilience.breaker import CircuitBreaker
from netrun.llm.resilience.config import breaker_from_config
from netrun.llm.resilience.routing import AliasTable, alias_sources, route
from netrun.llm.structured import response_schema
from netrun.llm.tools import normalize_tool_choice, normalize_tools, tools_token_bound
from netrun.llm.types import (
    AttemptInfo,
    LLMResponse,
    normalize_messages,
)

if TYPE_CHECKING:
    from netrun.llm.conf import LLMConfig

__all__ = ["LLMClient"]


def _checked(tags: Iterable[str]) -> tuple[str, ...]:
    """A stream's tags, checked when it is made (an invalid one raises there)."""
    tags = (tags,) if isinstance(tags, str) else tuple(tags)
    with tagged(tags):
        pass
    return tags


class LLMClient(_EmbeddingsAPI, _ExecuteAPI):
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
    ``alias_source`` (and ``async_alias_source``, awaited by the async calls; without it they
    call ``alias_source``), when given, is read once per call for the table to route by
    instead of ``model_aliases``: ``from_config`` gives the one the Django app registers
    (:func:`~netrun.llm.resilience.routing.set_alias_source`: the admin's aliases over the
    settings'), so a hand-built client never reads the database.
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
        alias_source: Callable[[], AliasTable] | None = None,
        async_alias_source: Callable[[], Awaitable[AliasTable]] | None = None,
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
        if async_alias_source is not None and alias_source is None:
            raise ValueError("async_alias_source needs alias_source")
        self.alias_source = alias_source
        self.async_alias_source = async_alias_source

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
        sources = alias_sources()
        if sources is not None and "alias_source" not in kwargs:
            source, asource = sources
            settings_aliases = dict(kwargs["model_aliases"] or {})
            kwargs["alias_source"] = partial(source, settings_aliases)
            kwargs.setdefault("async_alias_source", partial(asource, settings_aliases))
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
        record_attempt(self.telemetry, outcome, info)

    def _candidates(
        self, provider: str | None, model: str | None, aliases: AliasTable | None = None
    ) -> list[_Candidate]:
        """The attempts of a call, in order; ``aliases``: the table to route ``model`` by
        (default ``model_aliases``)."""
        aliases = self.model_aliases if aliases is None else aliases
        if provider is None and model is not None and model in aliases:
            return self._routed(model, aliases)
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

    def _routed(self, alias: str, aliases: AliasTable) -> list[_Candidate]:
        """The candidates of a model alias or routing group, in its order."""
        candidates: list[_Candidate] = []
        for providers, model in route(alias, aliases) or []:
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
        # With an alias source, a model name is routed when the call starts (the source is
        # read then, once: routed() in the flow); a pinned provider needs no alias.
        routed = provider is None and model is not None and self.alias_source is not None
        run = _ChainRun(
            self,
            [] if routed else self._candidates(provider, model),
            msgs,
            streamed=streamed,
            reason=reason,
            max_tokens=max_tokens,
            tools_bound=tools_token_bound(tools) + (schema.bound() if schema else 0),
        )
        run.alias = model if routed else None
        return run

    # ------------------------------------------------------------------ whole answers

    def chat(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        provider: str | None = None,
        reason: str | None = None,
        tags: Iterable[str] = (),
        **options: Any,
    ) -> LLMResponse:
        """The first answer the chain gives. ``provider`` pins one provider; ``model``
        applies to the first (or pinned) provider; ``reason`` goes to the policy; ``tags``
        are feature tags bound around the call (:func:`~netrun.llm.attribution.llm_tags`,
        read by the enforcer's scope budgets and by telemetry)."""
        with tagged(tags):
            return drive(self._chat(messages, model, max_tokens, provider, reason, options))

    async def achat(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        provider: str | None = None,
        reason: str | None = None,
        tags: Iterable[str] = (),
        **options: Any,
    ) -> LLMResponse:
        """The async twin of :meth:`chat`; cancellation releases the reservation."""
        with tagged(tags):
            return await adrive(self._chat(messages, model, max_tokens, provider, reason, options))

    def _chat(
        self,
        messages: MessagesInput,
        model: str | None,
        max_tokens: int | None,
        provider: str | None,
        reason: str | None,
        options: dict[str, Any],
    ) -> Generator[Effect, Any, LLMResponse]:
        run = self._run(messages, provider, model, max_tokens, reason, options, streamed=False)
        return attempts(
            run,
            lambda candidate: Ask(
                candidate.adapter,
                "chat",
                (run.messages,),
                dict(model=candidate.model, max_tokens=run.output_limit(candidate), **options),
            ),
        )

    # ------------------------------------------------------------------ streams

    def stream(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        provider: str | None = None,
        reason: str | None = None,
        tags: Iterable[str] = (),
        **options: Any,
    ) -> ClientStream:
        """Stream from the first provider that starts answering; see :class:`ClientStream`.
        ``tags`` are bound whenever the stream works (reserving, reading, settling), for its
        whole life."""
        run = self._run(messages, provider, model, max_tokens, reason, options, streamed=True)
        return ClientStream(run, options, tags=_checked(tags))

    def astream(
        self,
        messages: MessagesInput,
        *,
        model: str | None = None,
        max_tokens: int | None = None,
        provider: str | None = None,
        reason: str | None = None,
        tags: Iterable[str] = (),
        **options: Any,
    ) -> AsyncClientStream:
        """The async twin of :meth:`stream`."""
        run = self._run(messages, provider, model, max_tokens, reason, options, streamed=True)
        return AsyncClientStream(run, options, tags=_checked(tags))
