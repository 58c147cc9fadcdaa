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

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from netrun.llm._govern_calls import (
    IMAGE_TOKEN_BOUND,
    _ask_for_usage,
    _Call,
    _Governance,
)
from netrun.llm._govern_streams import (
    AsyncGovernedStream,
    GovernedStream,
    StreamManager,
    StreamWatch,
)
from netrun.llm.attribution import llm_tags
from netrun.llm.policy.rules import PolicyViolationError, TenantPolicy

if TYPE_CHECKING:
    from anthropic import Anthropic, AsyncAnthropic
    from openai import AsyncOpenAI, OpenAI

    from netrun.llm.policy.ledgers.base import BudgetLedger
    from netrun.llm.policy.pricing import PriceTable
    from netrun.llm.protocols import LLMTelemetry, PolicyEnforcerProtocol
    from netrun.ratelimit import Backend

__all__ = ["IMAGE_TOKEN_BOUND", "govern"]

_Client = TypeVar("_Client", bound="OpenAI | AsyncOpenAI | Anthropic | AsyncAnthropic")

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

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _Governed.__slots__:
            object.__setattr__(self, name, value)
        else:
            setattr(self._target, name, value)  # e.g. client.max_retries = 5

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
    tags: Iterable[str] | str = (),
) -> _Client:
    """``client`` with every billable call under the current tenant's LLM policy.

    Each call builds (or reuses) a :class:`~netrun.llm.policy.PolicyEnforcer` for the
    tenant of :func:`netrun.core.context.current_tenant_id` with its policy from
    ``policies(tenant_id)`` (default: the admin's ``TenantPolicyRecord`` once Django is
    ready; a tenant without one runs without limits, its spend still recorded), sharing
    ``ledger``, ``rate_limit_backend`` and ``prices`` (default: the process's). No tenant
    raises :class:`~netrun.errors.TenantContextMissingError`. ``enforcer`` pins one enforcer
    instead (a script, a test). ``reason`` goes to the policy with every call; ``telemetry``
    defaults to :func:`~netrun.llm.telemetry.default_collector`. ``deployments`` maps an
    Azure deployment name to the model it serves, for the price. ``tags`` are feature tags
    (:func:`~netrun.llm.attribution.llm_tags`) of every call of this client, for budgets and
    telemetry by scope: one governed client per feature, say. They are bound whenever a call
    works, reserving, settling and recording, so a stream read after the block that made it
    still counts against them; an invalid tag raises ``ValueError`` here.
    """
    family, provider, is_async = _family(client)
    checked = (tags,) if isinstance(tags, str) else tuple(tags)
    with llm_tags(*checked):  # validates them (format, MAX_TAGS) now, not at the first call
        pass
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
        tags=checked,
    )
    governed: _Client = _Governed(client, gov, "")  # type: ignore[assignment]
    return governed
