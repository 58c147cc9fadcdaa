"""The decisions of one governed call (:mod:`netrun.llm.govern`): its tenant's enforcer, the
bounds of its hold, its settlement and its telemetry record, shared by the sync and async
drivers and the streams. Framework-neutral: no Django import.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from netrun.core.context import current_tenant_id
from netrun.errors import NetrunException, TenantContextMissingError, ValidationError
from netrun.llm.chain._flow import asettle, record_attempt, settle, tagged
from netrun.llm.policy.enforcer import PolicyEnforcer
from netrun.llm.policy.ledgers.memory import MemoryLedger
from netrun.llm.policy.rules import PolicyViolationError, TenantPolicy
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
    from netrun.llm.policy.ledgers.base import BudgetLedger
    from netrun.llm.policy.pricing import PriceTable
    from netrun.llm.protocols import LLMTelemetry, PolicyEnforcerProtocol, ReservationProtocol
    from netrun.ratelimit import Backend

__all__ = ["IMAGE_TOKEN_BOUND", "prompt_bound"]

logger = get_logger(__name__)

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
        tags: tuple[str, ...] = (),
    ) -> None:
        self.family = family
        self.provider = provider
        self.is_async = is_async
        self.reason = reason
        self.deployments = dict(deployments)
        #: Feature tags bound whenever a call of this client works (reserving, settling,
        #: recording), over any an outer ``llm_tags()`` binds.
        self.tags = tags
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
        record_attempt(self.telemetry, outcome, info)


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
        with tagged(self.gov.tags):
            try:
                self.reservation = self.gov.enforcer().reserve(**self._reserve_arguments())
            except NetrunException as error:
                self.gov.record(error, self.info())
                raise

    async def areserve(self) -> None:
        with tagged(self.gov.tags):
            await self._areserve()

    async def _areserve(self) -> None:
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

    # A stream settles when it ends, wherever the consumer is: the client's tags are bound
    # again for the settlement and the record.
    def failed(self, error: BaseException) -> None:
        with tagged(self.gov.tags):
            self._close(None)
            self.gov.record(error, self.info())

    async def afailed(self, error: BaseException) -> None:
        with tagged(self.gov.tags):
            await self._aclose(None)
            self.gov.record(error, self.info())

    def settled(self, usage: Usage | None, record: LLMResponse | None, result: Any) -> None:
        with tagged(self.gov.tags):
            self._close(usage if usage is not None else result)
            self._record(record)

    async def asettled(self, usage: Usage | None, record: LLMResponse | None, result: Any) -> None:
        with tagged(self.gov.tags):
            await self._aclose(usage if usage is not None else result)
            self._record(record)

    def _record(self, record: LLMResponse | None) -> None:
        if record is not None:
            self.gov.record(record, self.info())

    # An unreadable usage charges the whole hold and raises: logged by the chain's helpers,
    # not raised, since the answer exists and was paid for.
    def _close(self, usage: Any) -> None:
        reservation, self.reservation = self.reservation, None
        if reservation is not None:
            settle(reservation, usage)

    async def _aclose(self, usage: Any) -> None:
        reservation, self.reservation = self.reservation, None
        if reservation is None:
            return
        if _in_process(getattr(reservation, "enforcer", None)):
            settle(reservation, usage)
        else:
            await asettle(reservation, usage)


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
