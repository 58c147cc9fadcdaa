"""FastAPI / Starlette: the netrun CORS policy on Starlette's ``CORSMiddleware``.

::

    from fastapi import FastAPI
    from netrun.cors.contrib.fastapi import add_cors

    app = FastAPI()
    add_cors(app)                       # CORSConfig from CORS_* environment variables
    add_cors(app, CORSConfig(preset="production", allowed_origins=[...]))

The decision is :meth:`netrun.cors.policy.CorsPolicy.decide`, the one the Django middleware
uses, which closes Starlette's gaps: a wildcard with credentials (Starlette reflects any
origin with ``Allow-Credentials: true``) is refused when the app starts, ``null``, ``http://``
in production and non-canonical origins are refused, and ``Allow-Credentials`` /
``Expose-Headers`` are sent only to allowed origins. Preflights keep Starlette's behaviour of
answering 400 to a refused origin, method or header, without any ``Access-Control-*``
header when the origin is refused.

Configuration is by argument: this module never reads Django settings.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netrun.cors._sampling import DecisionLogger
from netrun.cors.conf import CORSConfig
from netrun.cors.origins import safe_for_log
from netrun.cors.policy import CorsPolicy, PolicySpec, build_policy

__all__ = ["NetrunCORSMiddleware", "add_cors"]


class NetrunCORSMiddleware(CORSMiddleware):
    """Starlette's ``CORSMiddleware`` deciding with a :class:`CorsPolicy`."""

    def __init__(
        self, app: ASGIApp, *, policy: CorsPolicy, decisions: DecisionLogger | None = None
    ) -> None:
        super().__init__(
            app,
            # Origins are never handed to Starlette: is_allowed_origin() decides.
            allow_origins=(),
            allow_methods=policy.allow_methods,
            allow_headers=policy.allow_headers,
            allow_credentials=policy.allow_credentials,
            expose_headers=policy.expose_headers,
            max_age=policy.max_age,
        )
        # Starlette adds these to every response with an Origin, allowed or not.
        self.simple_headers = {}
        self.policy = policy
        self.decisions = decisions or DecisionLogger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.policy.applies_to(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None:
            decision = self.policy.decide(origin)
            if decision.allowed or not _same_origin(scope, headers, origin):
                self.decisions.log(
                    decision,
                    origin,
                    preset=self.policy.preset,
                    method=scope["method"],
                    path=safe_for_log(scope["path"]),
                    preflight=scope["method"] == "OPTIONS"
                    and "access-control-request-method" in headers,
                )
        await super().__call__(scope, receive, send)

    def is_allowed_origin(self, origin: str) -> bool:
        return self.policy.decide(origin).allowed

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if not self.is_allowed_origin(request_headers["origin"]):
            for name in [key for key in response.headers if key.startswith("access-control-")]:
                del response.headers[name]
        return response

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        if message["type"] == "http.response.start":
            origin = request_headers.get("origin")
            if origin is not None:
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                decision = self.policy.decide(origin)
                headers.update(self.policy.response_headers(decision, preflight=False))
                headers.add_vary_header("Origin")
        await send(message)


def _same_origin(scope: Scope, headers: Headers, origin: str) -> bool:
    host = headers.get("host")
    return host is not None and origin == f"{scope.get('scheme', 'http')}://{host}"


def add_cors(app: Starlette, config: CORSConfig | PolicySpec | None = None) -> CorsPolicy:
    """Add the netrun CORS middleware to a FastAPI/Starlette ``app``; return its policy.

    ``config`` defaults to ``CORSConfig()`` (``CORS_*`` environment variables, ``.env``).
    Raises :class:`netrun.errors.CORSValidationError` for any configuration the system
    checks would report as an error: an app without system checks must not start with it.
    """
    if config is None:
        config = CORSConfig()
    policy = build_policy(config)
    decisions = (
        DecisionLogger(interval=config.log_interval, burst=config.log_burst)
        if isinstance(config, CORSConfig)
        else DecisionLogger()
    )
    app.add_middleware(NetrunCORSMiddleware, policy=policy, decisions=decisions)
    return policy
