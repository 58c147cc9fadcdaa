"""Official SDK clients, governed: :func:`govern` puts every billable call under the tenant's policy.

::

    from openai import OpenAI
    from netrun.llm import govern

    client = govern(OpenAI(), reason="ticket_triage")     # still typed as OpenAI
    completion = client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, tools=tools, max_completion_tokens=300
    )                                                     # the SDK's own ChatCompletion

Each governed call goes rules -> reservation -> the SDK call -> settlement from the SDK's own
usage -> telemetry (:class:`~netrun.llm.telemetry.TelemetryCollector`, the GenAI span), as
:class:`~netrun.llm.LLMClient` does; a refused call raises netrun's error before any request
leaves the process. Every parameter reaches the SDK untouched, with one exception: an OpenAI
chat stream asks for ``stream_options={"include_usage": True}`` (the only way to learn a
stream's usage); ``create(stream=True)`` hides the usage-only chunk that adds from a caller
that did not ask for it (``chat.completions.stream()`` shows it as one more chunk event).

=================================  ===================================================
governed (reserved and settled)    ``chat.completions.create`` / ``.parse`` (streamed or
                                   not) / ``.stream``, ``responses.create`` / ``.parse``
                                   (streamed or not), ``embeddings.create``; Anthropic
                                   ``messages.create`` / ``.parse`` / ``.stream``
refused (``ungoverned_method``)    billable calls govern() cannot bound or settle yet:
                                   ``responses.stream``,
                                   batches, images, audio, legacy completions,
                                   realtime, ``beta``, the raw ``post``/``request``,
                                   ``with_raw_response``/``with_streaming_response``
passed through                     everything else (``models.list()``, ``files``,
                                   ``messages.count_tokens``, ``batches.list``...)
=================================  ===================================================

The hold needs a bound of the output: ``max_completion_tokens``/``max_tokens`` (times ``n``)
for chat, ``max_output_tokens`` for the Responses API, ``max_tokens`` for Anthropic; a call
without one is refused (``output_bound_required``). The input is bounded by the UTF-8 bytes
of the request's JSON (messages, tools, schemas...), each image at :data:`IMAGE_TOKEN_BOUND`.

``with_options(...)`` and ``copy(...)`` return governed clients. At run time the object is a
proxy, not an instance of the SDK class (``isinstance(governed, OpenAI)`` is false); mypy
sees the SDK's type. Framework-neutral: no Django import.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from netrun.core.context import current_tenant_id
from netrun.errors import NetrunException, TenantContextMissingError, ValidationError
from netrun.llm._govern_streams import (
    AsyncGovernedStream,
    GovernedStream,
    StreamManager,
    StreamWatch,
)
from netrun.llm.budgets.memory import MemoryLedger
from netrun.llm.policies import PolicyEnforcer, PolicyViolationError, TenantPolicy
from netrun.llm.types import (
    TOKENS_PER_MESSAGE,
    TOKENS_PER_PROMPT,
    AttemptInfo,
    LLMResponse,
    Usage,
    usage_from,
)
from netrun.logging import get_logger
from netrun.ratelimit import MemoryBackend

if TYPE_CHECKING:
    from anthropic import Anthropic, AsyncAnthropic
    from openai import AsyncOpenAI, OpenAI

    from netrun.llm.budgets.base import BudgetLedger
    from netrun.llm.pricing import PriceTable
    from netrun.llm.protocols import LLMTelemetry, PolicyEnforcerProtocol, ReservationProtocol
    from netrun.ratelimit import Backend

__all__ = ["IMAGE_TOKEN_BOUND", "govern"]

logger = get_logger(__name__)

_Client = TypeVar("_Client", bound="OpenAI | AsyncOpenAI | Anthropic | AsyncAnthropic")

#: The tokens one image may cost, above any listed provider's count for one image (OpenAI's
#: high-detail tiles and Anthropic's 1.15 megapixel cap come to a few thousand at most).
IMAGE_TOKEN_BOUND = 6_000
_IMAGE_TYPES = frozenset({"image", "image_url", "input_image"})
# Transport arguments: not sent as the prompt.
_NOT_PROMPT = frozenset({"model", "stream", "timeout", "extra_headers", "extra_query"})

# The call kinds: the arguments bounding the output, and whether it may stream.
_OUTPUT_BOUND = {
    "chat": ("max_completion_tokens", "max_tokens"),
    "responses": ("max_output_tokens",),
    "embeddings": (),
    "messages": ("max_tokens",),
}
_GOVERNED = {
    "openai": {
        "chat.completions.create": "chat",
        "chat.completions.parse": "chat",
        "chat.completions.stream": "chat",
        "responses.create": "responses",
        "responses.parse": "responses",
        "embeddings.create": "embeddings",
    },
    "anthropic": {
        "messages.create": "messages",
        "messages.parse": "messages",
        "messages.stream": "messages",
    },
}
# Billable, and not governed: refused rather than let through unbudgeted. A resource here
# refuses its methods except the free ones below.
_REFUSED = {
    "openai": frozenset(
        {
            "responses.stream",
            "responses.compact",
            "completions",
            "images",
            "audio",
            "batches",
            "realtime",
            "beta",
            "videos",
            "fine_tuning",
            "post",
            "request",
            "with_raw_response",
            "with_streaming_response",
        }
    ),
    "anthropic": frozenset(
        {
            "messages.batches",
            "completions",
            "beta",
            "post",
            "request",
            "with_raw_response",
            "with_streaming_response",
        }
    ),
}
_FREE = frozenset({"list", "retrieve", "cancel", "delete", "results", "count_tokens", "content"})
_CLIENT_FACTORIES = frozenset({"with_options", "copy"})


def _nodes(paths: Mapping[str, str] | frozenset[str]) -> frozenset[str]:
    """Every resource path on the way to ``paths`` (``chat``, ``chat.completions``...)."""
    found: set[str] = set()
    for path in paths:
        parts = path.split(".")
        found.update(".".join(parts[:end]) for end in range(1, len(parts)))
    return frozenset(found)


_NODES = {family: _nodes(_GOVERNED[family]) | _nodes(_REFUSED[family]) for family in _GOVERNED}


def prompt_bound(value: Any) -> int:
    """An upper bound of the tokens ``value`` (a request's arguments) is billed as input.

    Byte-level BPE tokens cover at least a byte each, so the UTF-8 bytes of every string,
    key and number bound them; an image counts :data:`IMAGE_TOKEN_BOUND`; a Pydantic model
    class (``response_format=`` of ``parse``) counts as its JSON schema.
    """
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, Mapping):
        if value.get("type") in _IMAGE_TYPES:
            return IMAGE_TOKEN_BOUND
        return sum(len(str(key).encode()) + prompt_bound(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return sum(1 + prompt_bound(item) for item in value)
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, type) and hasattr(value, "model_json_schema"):
        return prompt_bound(value.model_json_schema())
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return prompt_bound(dump())
    return len(str(value).encode("utf-8"))


class _Governance:
    """What every governed call of one client shares: how its tenant's enforcer is found,
    telemetry, the reason; the decisions of one call live in :class:`_Call`."""

    def __init__(
        self,
        family: str,
        provider: str,
        *,
        is_async: bool,
        enforcer: PolicyEnforcerProtocol | None,
        policies: Callable[[str], TenantPolicy | None] | None,
        ledger: BudgetLedger | None,
        rate_limit_backend: Backend | None,
        prices: PriceTable | None,
        telemetry: LLMTelemetry | None,
        reason: str | None,
        deployments: Mapping[str, str],
    ) -> None:
        self.family = family
        self.provider = provider
        self.is_async = is_async
        self.reason = reason
        self.deployments = dict(deployments)
        self._enforcer = enforcer
        self._policies = policies
        self._ledger = ledger
        self._rate_limit_backend = rate_limit_backend
        self._prices = prices
        self._telemetry = telemetry
        # One enforcer per tenant and policy: its limiters and budget windows are reused.
        self._enforcers: dict[str, tuple[TenantPolicy, PolicyEnforcer]] = {}
        self._lock = threading.Lock()

    @property
    def resolves_in_django(self) -> bool:
        return self._enforcer is None and self._policies is None and _admin_policies() is not None

    @property
    def telemetry(self) -> LLMTelemetry:
        if self._telemetry is not None:
            return self._telemetry
        from netrun.llm.telemetry import default_collector

        return default_collector()

    def enforcer(self) -> PolicyEnforcerProtocol | PolicyEnforcer:
        if self._enforcer is not None:
            return self._enforcer
        tenant = current_tenant_id()
        if tenant is None:
            raise TenantContextMissingError("A governed LLM call needs a tenant in the context.")
        tenant_id = str(tenant)
        resolve = self._policies if self._policies is not None else _admin_policies()
        policy = (resolve(tenant_id) if resolve is not None else None) or TenantPolicy(tenant_id)
        with self._lock:
            cached = self._enforcers.get(tenant_id)
            if cached is not None and cached[0] == policy:
                return cached[1]
            enforcer = PolicyEnforcer(
                policy,
                ledger=self._ledger,
                rate_limit_backend=self._rate_limit_backend,
                prices=self._prices,
            )
            self._enforcers[tenant_id] = (policy, enforcer)
            return enforcer

    def record(self, outcome: LLMResponse | BaseException, info: AttemptInfo) -> None:
        try:
            self.telemetry.record(outcome, info)
        except Exception as error:
            # Telemetry must never turn an answer into a failure.
            logger.warning("llm_telemetry_failed", error_type=type(error).__name__)


def _admin_policies() -> Callable[[str], TenantPolicy | None] | None:
    """The admin's tenant policies (``netrun.llm.models.get_tenant_policy``) once Django's
    app registry is ready with ``netrun.llm`` installed; else ``None``."""
    apps_module = sys.modules.get("django.apps")
    registry = getattr(apps_module, "apps", None)
    if registry is None or not registry.ready or not registry.is_installed("netrun.llm"):
        return None
    # By name: this core module must not import the Django glue.
    getter: Callable[[str], TenantPolicy | None] = importlib.import_module(
        "netrun.llm.models"
    ).get_tenant_policy
    return getter


class _Call:
    """One governed call: its bounds, its reservation, its settlement and its record."""

    def __init__(self, gov: _Governance, kind: str, kwargs: dict[str, Any]) -> None:
        self.gov = gov
        self.kind = kind
        model = kwargs.get("model")
        if not isinstance(model, str) or not model:
            raise ValidationError("A governed LLM call needs model=.", rule="model_required")
        self.model = gov.deployments.get(model, model)
        for key, value in kwargs.items():
            if isinstance(value, Iterator):
                # A generator of messages would be read by the bound, then sent empty: the
                # SDK takes any iterable, so it gets the same items as a list.
                kwargs[key] = list(value)
        self.streamed = bool(kwargs.get("stream"))
        self.max_output = self._output_bound(kwargs)
        messages = kwargs.get("messages")
        framing = TOKENS_PER_PROMPT + TOKENS_PER_MESSAGE * (
            len(messages) if isinstance(messages, (list, tuple)) else 1
        )
        self.prompt = framing + sum(
            prompt_bound(value) for key, value in kwargs.items() if key not in _NOT_PROMPT
        )
        self.started = time.perf_counter()
        self.reservation: ReservationProtocol | None = None

    def _output_bound(self, kwargs: Mapping[str, Any]) -> int:
        keys = _OUTPUT_BOUND[self.kind]
        if not keys:
            return 0
        bound = next((kwargs[key] for key in keys if isinstance(kwargs.get(key), int)), None)
        if bound is None:
            raise PolicyViolationError(
                f"A governed call needs {' or '.join(keys)}: the budget holds its worst case.",
                rule="output_bound_required",
                provider=self.gov.provider,
                model=self.model,
            )
        choices = kwargs.get("n")
        return int(bound) * (choices if isinstance(choices, int) and choices > 1 else 1)

    def _reserve_arguments(self) -> dict[str, Any]:
        return {
            "provider": self.gov.provider,
            "model": self.model,
            "estimated_input_tokens": self.prompt,
            "max_output_tokens": self.max_output,
            "reason": self.gov.reason,
        }

    def reserve(self) -> None:
        try:
            self.reservation = self.gov.enforcer().reserve(**self._reserve_arguments())
        except NetrunException as error:
            self.gov.record(error, self.info())
            raise

    async def areserve(self) -> None:
        try:
            if self.gov.resolves_in_django:
                # The admin's policies come through Django's cache and ORM: not on the loop.
                enforcer = await asyncio.to_thread(self.gov.enforcer)
            else:
                enforcer = self.gov.enforcer()
            areserve = getattr(enforcer, "areserve", None)
            if areserve is None or _in_process(enforcer):
                self.reservation = enforcer.reserve(**self._reserve_arguments())
            else:
                self.reservation = await areserve(**self._reserve_arguments())
        except NetrunException as error:
            self.gov.record(error, self.info())
            raise

    def info(self) -> AttemptInfo:
        return AttemptInfo(
            provider=self.gov.provider,
            model=self.model,
            attempt=1,
            position=0,
            streamed=self.streamed,
            duration_ms=(time.perf_counter() - self.started) * 1000,
            reason=self.gov.reason,
            operation="embeddings" if self.kind == "embeddings" else "chat",
        )

    def outcome(self, result: Any) -> tuple[Usage | None, LLMResponse | None]:
        """The usage to settle and the record of a whole (unstreamed) answer."""
        try:
            usage = usage_from(result)
        except NetrunException:
            return None, None
        return usage, self.response(usage, getattr(result, "model", None), complete=True)

    def response(self, usage: Usage, model: str | None, *, complete: bool) -> LLMResponse:
        return LLMResponse(
            text="",
            provider=self.gov.provider,
            model=model or self.model,
            usage=usage,
            latency_ms=(time.perf_counter() - self.started) * 1000,
            finish_reason=None if complete else "cancelled",
            complete=complete,
        )

    def failed(self, error: BaseException) -> None:
        self._close(None)
        self.gov.record(error, self.info())

    async def afailed(self, error: BaseException) -> None:
        await self._aclose(None)
        self.gov.record(error, self.info())

    def settled(self, usage: Usage | None, record: LLMResponse | None, result: Any) -> None:
        self._close(usage if usage is not None else result)
        self._record(record)

    async def asettled(self, usage: Usage | None, record: LLMResponse | None, result: Any) -> None:
        await self._aclose(usage if usage is not None else result)
        self._record(record)

    def _record(self, record: LLMResponse | None) -> None:
        if record is not None:
            self.gov.record(record, self.info())

    def _close(self, usage: Any) -> None:
        reservation, self.reservation = self.reservation, None
        if reservation is None:
            return
        try:
            if usage is None:
                reservation.release()
            else:
                # An unreadable usage charges the whole hold and raises: logged, not raised,
                # since the answer exists and was paid for.
                reservation.settle(usage)
        except Exception as error:
            logger.error("llm_settle_failed", error_type=type(error).__name__)

    async def _aclose(self, usage: Any) -> None:
        reservation, self.reservation = self.reservation, None
        if reservation is None:
            return
        method = getattr(reservation, "arelease" if usage is None else "asettle", None)
        if method is None or _in_process(getattr(reservation, "enforcer", None)):
            self.reservation = reservation
            self._close(usage)
            return
        try:
            await (method() if usage is None else method(usage))
        except Exception as error:
            logger.error("llm_settle_failed", error_type=type(error).__name__)


def _ask_for_usage(kwargs: dict[str, Any]) -> bool:
    """Ask an OpenAI chat stream for its usage chunk; whether the caller had not."""
    options = dict(kwargs.get("stream_options") or {})
    if options.get("include_usage"):
        return False
    kwargs["stream_options"] = {**options, "include_usage": True}
    return True


def _in_process(enforcer: object) -> bool:
    """Whether ``enforcer`` keeps its budgets and limits in this process: a few dict updates
    under a lock, cheaper than the thread hop its async methods take for a network ledger."""
    return isinstance(enforcer, PolicyEnforcer) and (
        isinstance(enforcer.ledger, MemoryLedger)
        and isinstance(enforcer.rate_limit_backend, MemoryBackend)
    )


def _refuser(gov: _Governance, path: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PolicyViolationError(
            f"{path}() is billable and not governed by netrun.llm.govern(); use the bare "
            "client for it, outside the tenant's budget.",
            rule="ungoverned_method",
            provider=gov.provider,
            method=path,
        )

    return refuse


def _governed_method(gov: _Governance, path: str, method: Callable[..., Any]) -> Callable[..., Any]:
    kind = _GOVERNED[gov.family][path]
    if path.endswith(".stream"):

        def stream(*args: Any, **kwargs: Any) -> Any:
            call = _Call(gov, kind, kwargs)
            call.streamed = True
            if kind == "chat":
                _ask_for_usage(kwargs)  # the helper's events show it: a chunk event
            return StreamManager(call, lambda: method(*args, **kwargs))

        return stream

    def prepare(kwargs: dict[str, Any]) -> tuple[_Call, bool]:
        call = _Call(gov, kind, kwargs)
        hide_usage = call.streamed and kind == "chat" and _ask_for_usage(kwargs)
        return call, hide_usage

    if gov.is_async:

        async def acall(*args: Any, **kwargs: Any) -> Any:
            call, hide_usage = prepare(kwargs)
            await call.areserve()
            try:
                result = await method(*args, **kwargs)
            except BaseException as error:
                await call.afailed(error)
                raise
            if call.streamed:
                return AsyncGovernedStream(result, StreamWatch(call, hide_usage=hide_usage))
            await call.asettled(*call.outcome(result), result)
            return result

        return acall

    def call_(*args: Any, **kwargs: Any) -> Any:
        call, hide_usage = prepare(kwargs)
        call.reserve()
        try:
            result = method(*args, **kwargs)
        except BaseException as error:
            call.failed(error)
            raise
        if call.streamed:
            return GovernedStream(result, StreamWatch(call, hide_usage=hide_usage))
        call.settled(*call.outcome(result), result)
        return result

    return call_


class _Governed:
    """A governed SDK client or one of its resources: billable methods intercepted,
    everything else forwarded."""

    __slots__ = ("_children", "_gov", "_path", "_target")

    def __init__(self, target: Any, gov: _Governance, path: str) -> None:
        self._target = target
        self._gov = gov
        self._path = path
        self._children: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        child = self._children.get(name)
        if child is not None:
            return child
        value = getattr(self._target, name)
        gov = self._gov
        path = f"{self._path}.{name}" if self._path else name
        refused = any(
            path == prefix or path.startswith(prefix + ".") for prefix in _REFUSED[gov.family]
        )
        if path in _GOVERNED[gov.family]:
            child = _governed_method(gov, path, value)
        elif not self._path and name in _CLIENT_FACTORIES:
            return lambda *args, **kwargs: _Governed(value(*args, **kwargs), gov, "")
        elif path in _NODES[gov.family] or (refused and not callable(value)):
            child = _Governed(value, gov, path)
        elif refused and name not in _FREE:
            child = _refuser(gov, path)
        else:
            return value
        self._children[name] = child
        return child

    def __dir__(self) -> list[str]:
        return dir(self._target)

    def __repr__(self) -> str:
        return f"<governed {self._target!r}>"

    # A client used as a context manager returns itself: governed, not the bare SDK client.
    def __enter__(self) -> _Governed:
        self._target.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        return self._target.__exit__(*exc_info)

    async def __aenter__(self) -> _Governed:
        await self._target.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        return await self._target.__aexit__(*exc_info)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._target)


def _family(client: Any) -> tuple[str, str, bool]:
    """``(family, provider, is_async)`` of an official SDK client; TypeError otherwise."""
    module = type(client).__module__.partition(".")[0]
    if module == "openai":
        import openai

        if isinstance(client, (openai.OpenAI, openai.AsyncOpenAI)):
            azure = isinstance(client, (openai.AzureOpenAI, openai.AsyncAzureOpenAI))
            return (
                "openai",
                "azure_openai" if azure else "openai",
                isinstance(client, openai.AsyncOpenAI),
            )
    if module == "anthropic":
        import anthropic

        if isinstance(client, (anthropic.Anthropic, anthropic.AsyncAnthropic)):
            return "anthropic", "anthropic", isinstance(client, anthropic.AsyncAnthropic)
    raise TypeError(
        "govern() takes an official SDK client: openai.OpenAI, AsyncOpenAI, AzureOpenAI, "
        f"AsyncAzureOpenAI, anthropic.Anthropic or AsyncAnthropic; not {type(client).__name__}"
    )


def govern(
    client: _Client,
    *,
    reason: str | None = None,
    enforcer: PolicyEnforcerProtocol | None = None,
    policies: Callable[[str], TenantPolicy | None] | None = None,
    ledger: BudgetLedger | None = None,
    rate_limit_backend: Backend | None = None,
    prices: PriceTable | None = None,
    telemetry: LLMTelemetry | None = None,
    deployments: Mapping[str, str] | None = None,
) -> _Client:
    """``client`` with every billable call under the current tenant's LLM policy.

    Each call builds (or reuses) a :class:`~netrun.llm.policies.PolicyEnforcer` for the
    tenant of :func:`netrun.core.context.current_tenant_id` with its policy from
    ``policies(tenant_id)`` (default: the admin's ``TenantPolicyRecord`` once Django is
    ready; a tenant without one runs without limits, its spend still recorded), sharing
    ``ledger``, ``rate_limit_backend`` and ``prices`` (default: the process's). No tenant
    raises :class:`~netrun.errors.TenantContextMissingError`. ``enforcer`` pins one enforcer
    instead (a script, a test). ``reason`` goes to the policy with every call; ``telemetry``
    defaults to :func:`~netrun.llm.telemetry.default_collector`. ``deployments`` maps an
    Azure deployment name to the model it serves, for the price.
    """
    family, provider, is_async = _family(client)
    gov = _Governance(
        family,
        provider,
        is_async=is_async,
        enforcer=enforcer,
        policies=policies,
        ledger=ledger,
        rate_limit_backend=rate_limit_backend,
        prices=prices,
        telemetry=telemetry,
        reason=reason,
        deployments=deployments or {},
    )
    governed: _Client = _Governed(client, gov, "")  # type: ignore[assignment]
    return governed
