"""``CORSMiddleware(app, config=None)``: the seeds' ASGI middleware, on netrun's CORS policy.

::

    from fastapi import FastAPI
    from netrun.cors import CORSConfig, CORSMiddleware

    app = FastAPI()
    app.add_middleware(CORSMiddleware)                        # get_settings(CORSConfig)
    app.add_middleware(CORSMiddleware, config=CORSConfig(preset="production", ...))

Plain ASGI (no Starlette import), so any ASGI app can be wrapped:
``CORSMiddleware(app, config)``. The origin decision and the headers are
:class:`netrun.cors.policy.CorsPolicy`'s, the ones the Django middleware and
:mod:`netrun.cors.contrib.fastapi` use; the policy is built once, in the constructor, and a
configuration the system checks would call an error raises
:class:`netrun.errors.CORSValidationError` there. Decisions are logged as ``cors_decision`` /
``cors_blocked``, sampled.

A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered here: 200 with
the ``Access-Control-*`` headers when the origin, method and headers are allowed, else 400
(with no ``Access-Control-*`` header when the origin is refused). Other requests go to the
app; an allowed origin gets ``Access-Control-Allow-Origin`` (and credentials / exposed
headers as configured) on the response. Every response to a request with ``Origin`` carries
``Vary: Origin``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from netrun.config import get_settings
from netrun.cors._sampling import DecisionLogger
from netrun.cors.conf import CORSConfig
from netrun.cors.origins import safe_for_log
from netrun.cors.policy import CorsPolicy, Decision, PolicySpec, build_policy

__all__ = ["CORSMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name (the last one wins, as for ``Origin`` in browsers)."""
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", ())
    }


class CORSMiddleware:
    """ASGI CORS middleware: ``CORSMiddleware(app, config=None)``, as in netrun-cors 1.x."""

    def __init__(self, app: ASGIApp, config: CORSConfig | PolicySpec | None = None) -> None:
        self.app = app
        self.config: CORSConfig | PolicySpec = (
            config if config is not None else get_settings(CORSConfig)
        )
        self.policy: CorsPolicy = build_policy(self.config)
        if isinstance(self.config, CORSConfig):
            self.decisions = DecisionLogger(
                interval=self.config.log_interval, burst=self.config.log_burst
            )
        else:
            self.decisions = DecisionLogger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.policy.applies_to(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        decision = self.policy.decide(origin)
        self.decisions.log(
            decision,
            origin,
            preset=self.policy.preset,
            method=scope["method"],
            path=safe_for_log(scope.get("path", "")),
            preflight=preflight,
        )
        if preflight:
            await self._preflight(headers, decision, send)
            return
        extra = self.policy.response_headers(decision, preflight=False)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _merged(message.get("headers", ()), extra)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, headers: dict[str, str], decision: Decision, send: Send) -> None:
        method = headers["access-control-request-method"].strip().upper()
        requested = [
            name.strip().lower()
            for name in headers.get("access-control-request-headers", "").split(",")
            if name.strip()
        ]
        allowed_headers = {name.lower() for name in self.policy.allow_headers}
        problems: list[str] = []
        if not decision.allowed:
            problems.append("origin")
        if method not in self.policy.allow_methods:
            problems.append("method")
        if any(name not in allowed_headers for name in requested):
            problems.append("headers")
        if problems:
            # Refused: no Access-Control-* header, so the browser fails the actual request.
            extra: dict[str, str] = {}
            body = ("Disallowed CORS " + ", ".join(problems)).encode()
            status = 400
        else:
            extra = self.policy.response_headers(decision, preflight=True)
            body, status = b"OK", 200
        response_headers = _merged(
            [(b"content-type", b"text/plain; charset=utf-8")],
            {**extra, "Content-Length": str(len(body))},
        )
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})


def _merged(raw: Any, extra: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """``raw`` ASGI headers with ``extra`` set (replacing) and ``Origin`` added to ``Vary``."""
    replaced = {name.lower().encode("latin-1") for name in extra}
    result = [(name, value) for name, value in raw if name.lower() not in replaced]
    result += [(name.encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()]
    vary = [value.decode("latin-1") for name, value in result if name.lower() == b"vary"]
    tokens = {token.strip().lower() for value in vary for token in value.split(",")}
    if "origin" not in tokens and "*" not in tokens:
        result = [(name, value) for name, value in result if name.lower() != b"vary"]
        result.append((b"vary", ", ".join([*vary, "Origin"]).encode("latin-1")))
    return result
