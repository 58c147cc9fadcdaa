"""Request-scoped context: correlation, tenant, user and trace IDs.

Everything in Netrun reads "who and what is this work for" from here, never from arguments
passed by hand. The values live in :mod:`contextvars`, so they follow a request through sync
code, ``async`` code and ``asyncio`` tasks (which copy the context when created), and they
never leak between threads or concurrent requests.

Setting a value goes through a context manager that works with ``with`` and ``async with``,
nests, and puts the outer value back on exit, also when the block raises or its task is
cancelled::

    with tenant_context("acme"):
        assert current_tenant_id() == "acme"
        with tenant_context("globex"):
            assert current_tenant_id() == "globex"
        assert current_tenant_id() == "acme"

:func:`capture` and :func:`restore` move the whole context across a boundary that does not
copy contextvars (Celery task headers, thread pools, queues) as a plain ``dict[str, str]``.

This module is framework-neutral: it imports nothing beyond the standard library.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from netrun.core.blocks import AsyncWithSupport

__all__ = [
    "CONTEXT_KEYS",
    "ContextBinding",
    "TraceContext",
    "bind",
    "capture",
    "clear",
    "correlation_context",
    "current_correlation_id",
    "current_tenant_id",
    "current_trace_context",
    "current_user_id",
    "get_or_create_correlation_id",
    "iterate_in_context",
    "new_correlation_id",
    "parse_traceparent",
    "restore",
    "tenant_context",
    "trace_context",
    "user_context",
]

_T = TypeVar("_T")

_correlation_id: ContextVar[str | None] = ContextVar("netrun_correlation_id", default=None)
_tenant_id: ContextVar[str | None] = ContextVar("netrun_tenant_id", default=None)
_user_id: ContextVar[str | None] = ContextVar("netrun_user_id", default=None)
_trace: ContextVar[TraceContext | None] = ContextVar("netrun_trace_context", default=None)

#: The keys :func:`capture` writes and :func:`restore` reads (and the Celery header names).
CONTEXT_KEYS = ("correlation_id", "tenant_id", "user_id", "traceparent")


# ----------------------------------------------------------------------------- trace context

_TRACEPARENT = re.compile(
    r"^(?P<version>[0-9a-f]{2})-(?P<trace_id>[0-9a-f]{32})-"
    r"(?P<span_id>[0-9a-f]{16})-(?P<flags>[0-9a-f]{2})(?P<rest>-.*)?$"
)


@dataclass(frozen=True)
class TraceContext:
    """A W3C Trace Context (``traceparent``): trace ID, parent span ID and flags."""

    trace_id: str
    span_id: str
    trace_flags: int = 1

    @property
    def sampled(self) -> bool:
        return bool(self.trace_flags & 0x01)

    def to_traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.trace_flags:02x}"

    @classmethod
    def new(cls, *, sampled: bool = True) -> TraceContext:
        """Start a new trace with random IDs."""
        return cls(uuid.uuid4().hex, uuid.uuid4().hex[:16], 1 if sampled else 0)


def parse_traceparent(header: str | None) -> TraceContext | None:
    """Parse a W3C ``traceparent`` header; ``None`` when it is absent or invalid.

    Follows the specification's rules: lowercase hex only, version ``ff`` is invalid, all-zero
    trace and span IDs are invalid, and version ``00`` has exactly four fields (later versions
    may append more, which are ignored).
    """
    if not header or len(header) > 512:
        return None
    match = _TRACEPARENT.match(header.strip())
    if match is None:
        return None
    version = match["version"]
    if version == "ff" or (version == "00" and match["rest"]):
        return None
    trace_id, span_id = match["trace_id"], match["span_id"]
    if trace_id == "0" * 32 or span_id == "0" * 16:
        return None
    return TraceContext(trace_id, span_id, int(match["flags"], 16))


# ----------------------------------------------------------------------------- getters


def new_correlation_id() -> str:
    """Return a fresh correlation ID (32 lowercase hex characters)."""
    return uuid.uuid4().hex


def current_correlation_id() -> str | None:
    """The correlation ID of the current request or task, or ``None`` outside one."""
    return _correlation_id.get()


def get_or_create_correlation_id() -> str:
    """The current correlation ID; when there is none, a new one that is also set."""
    value = _correlation_id.get()
    if value is None:
        value = new_correlation_id()
        _correlation_id.set(value)
    return value


def current_tenant_id() -> str | None:
    """The tenant the current work is for, or ``None``: callers must then fail closed."""
    return _tenant_id.get()


def current_user_id() -> str | None:
    """The authenticated user of the current request or task, or ``None``."""
    return _user_id.get()


def current_trace_context() -> TraceContext | None:
    """The W3C trace context of the current request or task, or ``None``."""
    return _trace.get()


# ----------------------------------------------------------------------------- binding


class _Unset:
    """Marker for "leave this variable alone" in :func:`bind`."""

    def __repr__(self) -> str:
        return "UNSET"


_UNSET: Any = _Unset()


def _as_id(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    if not text:
        raise ValueError("context IDs must not be empty strings; use None for 'no value'")
    return text


class ContextBinding(AsyncWithSupport, Generic[_T]):
    """Set one or more context variables for the duration of a ``with`` / ``async with`` block.

    The binding may be entered again (also nested inside itself); each exit restores exactly
    what its matching enter replaced. It is not meant to be shared between concurrent tasks:
    create one per block.
    """

    __slots__ = ("_result", "_stack", "_values")

    def __init__(self, values: Mapping[ContextVar[Any], Any], result: _T) -> None:
        self._values = dict(values)
        self._stack: list[list[tuple[ContextVar[Any], Token[Any]]]] = []
        self._result = result

    def __enter__(self) -> _T:
        self._stack.append([(var, var.set(value)) for var, value in self._values.items()])
        return self._result

    def __exit__(self, *exc_info: object) -> None:
        # The previous values come back however the block ended.
        tokens = self._stack.pop()
        for var, token in reversed(tokens):
            var.reset(token)


def bind(
    *,
    correlation_id: object = _UNSET,
    tenant_id: object = _UNSET,
    user_id: object = _UNSET,
    trace: TraceContext | _Unset | None = _UNSET,
) -> ContextBinding[None]:
    """Bind any of the context values for a block; omitted ones keep their current value.

    Passing ``None`` explicitly clears a value inside the block (for example, work that must
    run with no tenant).
    """
    values: dict[ContextVar[Any], Any] = {}
    if correlation_id is not _UNSET:
        values[_correlation_id] = _as_id(correlation_id)
    if tenant_id is not _UNSET:
        values[_tenant_id] = _as_id(tenant_id)
    if user_id is not _UNSET:
        values[_user_id] = _as_id(user_id)
    if trace is not _UNSET:
        values[_trace] = trace
    return ContextBinding(values, None)


def correlation_context(correlation_id: str | None = None) -> ContextBinding[str]:
    """Bind a correlation ID (a new one when omitted); ``as`` receives the ID."""
    value = _as_id(correlation_id) or new_correlation_id()
    return ContextBinding({_correlation_id: value}, value)


def tenant_context(tenant_id: object) -> ContextBinding[str | None]:
    """Bind the current tenant (``None`` binds "no tenant"); ``as`` receives the ID."""
    value = _as_id(tenant_id)
    return ContextBinding({_tenant_id: value}, value)


def user_context(user_id: object) -> ContextBinding[str | None]:
    """Bind the current user (``None`` binds "anonymous"); ``as`` receives the ID."""
    value = _as_id(user_id)
    return ContextBinding({_user_id: value}, value)


def trace_context(trace: TraceContext | None = None) -> ContextBinding[TraceContext]:
    """Bind a W3C trace context (a new trace when omitted); ``as`` receives it."""
    value = trace or TraceContext.new()
    return ContextBinding({_trace: value}, value)


def clear() -> None:
    """Unset every value in the *current* context.

    For the edges of long-lived workers (a Celery worker between tasks) where no enclosing
    ``with`` block exists; inside a request, prefer the context managers.
    """
    for var in (_correlation_id, _tenant_id, _user_id, _trace):
        var.set(None)


# ----------------------------------------------------------------------------- propagation


def capture() -> dict[str, str]:
    """The current context as plain strings, for headers that cross a process boundary.

    Keys without a value are omitted, so an empty dict means "no context".
    """
    carried: dict[str, str] = {}
    for key, value in (
        ("correlation_id", _correlation_id.get()),
        ("tenant_id", _tenant_id.get()),
        ("user_id", _user_id.get()),
    ):
        if value is not None:
            carried[key] = value
    trace = _trace.get()
    if trace is not None:
        carried["traceparent"] = trace.to_traceparent()
    return carried


@contextmanager
def restore(carried: Mapping[str, object] | None) -> Iterator[None]:
    """Bind a context captured with :func:`capture` for a block.

    Every key is bound, present or not: a value missing from ``carried`` is bound as ``None``,
    so the block never inherits a previous task's tenant or user. Unknown keys are ignored;
    an invalid ``traceparent`` is dropped.
    """
    carried = carried or {}

    def text(key: str) -> str | None:
        value = carried.get(key)
        return str(value) if value not in (None, "") else None

    with bind(
        correlation_id=text("correlation_id"),
        tenant_id=text("tenant_id"),
        user_id=text("user_id"),
        trace=parse_traceparent(text("traceparent")),
    ):
        yield


_Item = TypeVar("_Item")


def iterate_in_context(
    content: Iterable[_Item] | AsyncIterable[_Item], carried: Mapping[str, object] | None
) -> Iterator[_Item] | AsyncIterator[_Item]:
    """``content`` (sync or async), each step run under the context :func:`capture` took.

    For what is iterated after the code that bound the context has returned: a streamed
    response's body runs once the middleware is done, and would otherwise log without the
    request's correlation ID and query without its tenant. The context is bound around each
    step, never across a ``yield``, so the consumer's own context is left as it was; closing
    the iterator (a client that went away) closes ``content`` in the same context.
    """
    if isinstance(content, AsyncIterable):
        return _aiterate_in_context(content, carried)
    return _iterate_in_context(content, carried)


def _iterate_in_context(
    content: Iterable[_Item], carried: Mapping[str, object] | None
) -> Iterator[_Item]:
    iterator = iter(content)
    try:
        while True:
            with restore(carried):
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            with restore(carried):
                close()


async def _aiterate_in_context(
    content: AsyncIterable[_Item], carried: Mapping[str, object] | None
) -> AsyncIterator[_Item]:
    iterator = aiter(content)
    try:
        while True:
            with restore(carried):
                try:
                    item = await anext(iterator)
                except StopAsyncIteration:
                    return
            yield item
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            with restore(carried):
                await aclose()
