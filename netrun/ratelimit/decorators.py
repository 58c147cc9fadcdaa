"""``@ratelimit`` for Django views, call-compatible with django-ratelimit's decorator.

::

    from netrun.ratelimit.decorators import ratelimit

    @ratelimit(key="user_or_ip", rate="10/m")
    def search(request): ...

    @ratelimit(key="tenant", rate="1000/h", method=UNSAFE, cost=lambda group, request: 5)
    async def export(request): ...

The arguments are django-ratelimit's (``group``, ``key``, ``rate``, ``method``, ``block``), so
switching is a change of import; ``cost`` is new. Differences, on purpose: the window slides
(never twice the rate around a boundary); a key function may return ``None`` to skip the
request (``user`` does for anonymous visitors); and a blocked request is answered at once with
the 429 envelope and ``Retry-After`` / ``RateLimit-*`` headers instead of raising
``Ratelimited`` (a 403 unless something maps it). With ``block=False`` the view runs and
``request.limited`` says whether it was over the limit, as in django-ratelimit.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from netrun.ratelimit._django import add_headers, limiter_for, rate_limited_response, record
from netrun.ratelimit._rate import Rate, parse_rate
from netrun.ratelimit.conf import conf
from netrun.ratelimit.exceptions import RateLimited
from netrun.ratelimit.keys import KeyFunc, resolve_key, resolve_key_func

__all__ = ["ALL", "UNSAFE", "is_ratelimited", "ratelimit"]

#: Every method (django-ratelimit's ``ratelimit.ALL``).
ALL: None = None
#: The methods that change state (django-ratelimit's ``ratelimit.UNSAFE``).
UNSAFE: tuple[str, ...] = ("DELETE", "PATCH", "POST", "PUT")

RateSpec = str | Rate | Callable[[str, Any], "str | Rate | None"]
CostSpec = int | Callable[[str, Any], int]
_View = TypeVar("_View", bound=Callable[..., Any])

# Keys that never touch request.user, so async views need no thread hop to compute them.
_ASYNC_SAFE_KEYS = frozenset({"ip", "tenant"})


def _method_matches(request: Any, method: str | Sequence[str] | None) -> bool:
    if method is None:
        return True
    methods = [method] if isinstance(method, str) else list(method)
    return str(request.method).upper() in {m.upper() for m in methods}


def _rate(rate: RateSpec | None, group: str, request: Any) -> Rate | None:
    if rate is None:
        return None
    if isinstance(rate, str) and "." in rate and "/" not in rate:
        module_name, _, attribute = rate.rpartition(".")
        rate = cast(RateSpec, getattr(importlib.import_module(module_name), attribute))
    if callable(rate):
        rate = rate(group, request)
        if rate is None:
            return None
    return parse_rate(rate)


def _cost(cost: CostSpec, group: str, request: Any) -> int:
    return cost(group, request) if callable(cost) else cost


def _group_of(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


class _Check:
    """What one decorated view checks; resolved per request from its specs."""

    def __init__(
        self,
        group: str,
        key: str | KeyFunc,
        rate: RateSpec | None,
        method: str | Sequence[str] | None,
        cost: CostSpec,
    ) -> None:
        self.group = group
        self.key = key
        self.rate = rate
        self.method = method
        self.cost = cost
        if isinstance(key, str):
            # A typo in a key is a programming error: fail when the module is imported.
            resolve_key_func(key)
        if isinstance(rate, str) and "/" in rate:
            parse_rate(rate)

    def prepare(self, request: Any) -> tuple[Rate, str, int] | None:
        """The rate, key and cost for ``request``, or ``None`` when it is not limited."""
        if not conf.enabled or not _method_matches(request, self.method):
            return None
        rate = _rate(self.rate, self.group, request)
        if rate is None:
            return None
        key = resolve_key(self.key, f"{self.group}:{rate}", request)
        if key is None:
            return None
        return rate, key, _cost(self.cost, self.group, request)


def ratelimit(
    group: str | None = None,
    key: str | KeyFunc | None = None,
    rate: RateSpec | None = None,
    method: str | Sequence[str] | None = ALL,
    block: bool = True,
    *,
    cost: CostSpec = 1,
) -> Callable[[_View], _View]:
    """Limit a view (sync or async) to ``rate`` per ``key``; see the module docstring."""

    def decorator(view: _View) -> _View:
        check = _Check(group or _group_of(view), key or "user_or_ip", rate, method, cost)

        def refuse(request: Any, error: RateLimited) -> HttpResponseBase:
            return rate_limited_response(getattr(request, "_request", request), error)

        if iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if check.key in _ASYNC_SAFE_KEYS:
                    prepared = check.prepare(request)
                else:
                    prepared = await sync_to_async(check.prepare)(request)
                if prepared is None:
                    return await view(request, *args, **kwargs)
                limit, limiter_key, hit_cost = prepared
                decision = await limiter_for(limit).ahit(limiter_key, hit_cost)
                record(request, decision)
                request.limited = getattr(request, "limited", False) or not decision.allowed  # type: ignore[attr-defined]
                if not decision.allowed and block:
                    return refuse(request, RateLimited(decision=decision))
                return add_headers(await view(request, *args, **kwargs), decision)

            return cast(_View, async_wrapped)

        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            prepared = check.prepare(request)
            if prepared is None:
                return view(request, *args, **kwargs)
            limit, limiter_key, hit_cost = prepared
            decision = limiter_for(limit).hit(limiter_key, hit_cost)
            record(request, decision)
            request.limited = getattr(request, "limited", False) or not decision.allowed  # type: ignore[attr-defined]
            if not decision.allowed and block:
                return refuse(request, RateLimited(decision=decision))
            return add_headers(view(request, *args, **kwargs), decision)

        return cast(_View, wrapped)

    return decorator


def is_ratelimited(
    request: HttpRequest,
    group: str,
    key: str | KeyFunc = "user_or_ip",
    rate: RateSpec | None = None,
    method: str | Sequence[str] | None = ALL,
    increment: bool = False,
    *,
    cost: int = 1,
) -> bool:
    """django-ratelimit's ``is_ratelimited`` on the netrun core.

    With ``increment=False`` the hit is only peeked at (``cost`` 0): it tells whether a hit of
    ``cost`` would be refused now. Returns ``False`` when the request is not limited at all.
    """
    prepared = _Check(group, key, rate, method, cost if increment else 0).prepare(request)
    if prepared is None:
        return False
    limit, limiter_key, hit_cost = prepared
    decision = limiter_for(limit).hit(limiter_key, hit_cost)
    if increment:
        record(request, decision)
        return not decision.allowed
    return decision.remaining < cost
