"""FastAPI: a dependency that applies a :class:`RateLimiter` to a route or router.

::

    from fastapi import Depends, FastAPI
    from netrun.ratelimit import RateLimiter, RedisBackend
    from netrun.ratelimit.contrib.fastapi import RateLimit

    backend = RedisBackend("redis://127.0.0.1:6379/0")
    per_ip = RateLimit(RateLimiter("100/m", backend), key="ip", trusted_proxy_count=1)

    @app.get("/search", dependencies=[Depends(per_ip)])
    async def search(): ...

Allowed responses get ``RateLimit-*`` headers; a refused request raises Starlette's
``HTTPException(429)`` with ``Retry-After`` and ``RateLimit-*``, which
``netrun.errors.contrib.fastapi.install_exception_handlers`` answers with the 429 envelope
(headers kept). Configuration is by argument only: no Django settings are read.

``key`` is ``"ip"`` (the client behind ``trusted_proxy_count`` proxies), ``"tenant"`` /
``"user"`` (from :mod:`netrun.core.context`), or a function of the request (sync or async)
returning a string, or ``None`` to skip the limit. ``"ip"`` never skips: a peer that is not
an IP address (``TestClient``'s ``"testclient"``, a Unix socket) is limited as itself
(``peer:<name>``), and a connection without any peer address shares one bucket
(``peer:unknown``, logged once as ``ratelimit_no_client_address``).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from netrun.core.context import current_tenant_id, current_user_id
from netrun.logging import get_logger
from netrun.ratelimit._decision import Decision
from netrun.ratelimit._ip import client_ip
from netrun.ratelimit._limiter import RateLimiter

__all__ = ["RateLimit"]

logger = get_logger(__name__)

RequestKey = Callable[[Request], "str | Awaitable[str | None] | None"]


class RateLimit:
    """A FastAPI dependency; returns the :class:`Decision` to routes that ask for it."""

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        key: str | RequestKey = "ip",
        cost: int | Callable[[Request], int] = 1,
        trusted_proxy_count: int = 0,
        group: str = "fastapi",
        headers: bool = True,
    ) -> None:
        if isinstance(key, str) and key not in {"ip", "tenant", "user"}:
            raise ValueError(f"unknown rate-limit key {key!r}: use ip, tenant, user or a function")
        if trusted_proxy_count < 0:
            raise ValueError("trusted_proxy_count must be 0 or more")
        self.limiter = limiter
        self.key = key
        self.cost = cost
        self.trusted_proxy_count = trusted_proxy_count
        self.group = group
        self.headers = headers
        self._warned_no_peer = False

    def _peer(self, request: Request) -> str:
        host = request.client.host if request.client else None
        address = client_ip(
            host,
            request.headers.get("x-forwarded-for"),
            trusted_proxy_count=self.trusted_proxy_count,
        )
        if address is not None:
            return f"ip:{address}"
        # Never skipped: a limit that silently stops limiting is worse than a coarse one.
        if host:
            return f"peer:{host}"  # TestClient's "testclient", a Unix socket's name
        if not self._warned_no_peer:
            self._warned_no_peer = True
            logger.warning(
                "ratelimit_no_client_address",
                group=self.group,
                hint="The ASGI server reports no client address (a Unix socket?): every "
                "such request shares one bucket. Set trusted_proxy_count to the number of "
                "proxies that add X-Forwarded-For, or pass key= a function.",
            )
        return "peer:unknown"

    async def _key(self, request: Request) -> str | None:
        if self.key == "ip":
            return self._peer(request)
        if self.key == "tenant":
            tenant = current_tenant_id()
            return None if tenant is None else f"tenant:{tenant}"
        if self.key == "user":
            account = current_user_id()
            return None if account is None else f"user:{account}"
        if isinstance(self.key, str):  # __init__ accepted no other names
            return None
        value = self.key(request)
        if inspect.isawaitable(value):
            value = await value
        return value

    async def __call__(self, request: Request, response: Response) -> Decision | None:
        value = await self._key(request)
        if not value:
            return None
        cost = self.cost(request) if callable(self.cost) else self.cost
        decision = await self.limiter.ahit(f"{self.group}:{value}", cost)
        if not decision.allowed:
            raise HTTPException(
                429,
                detail="Rate limit exceeded.",
                headers=decision.headers() if self.headers else None,
            )
        if self.headers:
            response.headers.update(decision.headers())
        return decision
