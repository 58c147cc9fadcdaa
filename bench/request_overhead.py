"""Per-request overhead: netrun's correlation + request-logging middleware against
django-guid + django-structlog doing the same job, on the same trivial view, in one run.

Each stack runs through Django's real WSGI handler. The overhead of a stack is its time per
request minus the time of the same handler with no middleware. Both stacks log through the
same structlog configuration (netrun's JSON chain to a null sink), so only the middleware
differs: reading and validating the incoming ID, binding it, logging request start and end,
setting the response header.

Goal (issue 3): netrun no slower than django-guid + django-structlog.

``--stack whole`` (issue 19) compares the whole production stack on one DRF view: netrun's
correlation + request log, CORS, JWT authentication, tenant middleware and error envelope
against django-guid + django-structlog + django-cors-headers + simplejwt. Both verify the
same RS256 access token (with ``iss``, ``aud``, ``kid``) on every request and build the user
from its claims (netrun ``stateless_users``, simplejwt ``JWTStatelessUserAuthentication``:
no user query on either side); both answer the browser's ``Origin`` with CORS headers.
netrun also resolves the token's tenant and binds it, which the peers do not do at all: from
its tenant cache (``NETRUN_RBAC_TENANT_CACHE_*`` defaults; one query, SQLite in memory, on the
first request), and its verification cache answers the repeated token (expiry and revocation
still checked). The baseline is the same view with no middleware and no authentication.
Goal: netrun's overhead at most 0.5x the peers'. A third line leaves out the tenant
middleware, to show what it still costs.

The default cache is a ``LocMemCache``: the tenant cache's generation is then per process
and not read, and netrun's revocation lookup is in memory. ``--redis URL`` makes the default
cache Redis, as in a deployment with several workers: netrun then reads the tenant
generation and the denylist from Redis on every request (two round trips the peers, which
check neither, do not make).

    pip install django-guid django-structlog django-cors-headers djangorestframework-simplejwt
    python bench/request_overhead.py [--requests 5000] [--rounds 7] [--stack logging|whole|both]
                                     [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import io
import logging
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import django
from django.conf import settings

GOAL = 1.0
WHOLE_GOAL = 0.5
ORIGIN = "https://app.example.com"
ISSUER = "https://auth.bench.test"
AUDIENCE = "bench-api"
REQUEST_ID = "6f1c2e0a9b7d4c3e8f5a1b2c3d4e5f60"

BASELINE: list[str] = []
NETRUN = ["netrun.logging.middleware.CorrelationIdMiddleware"]
PEERS = [
    "django_guid.middleware.guid_middleware",
    "django_structlog.middlewares.RequestMiddleware",
]
NETRUN_WHOLE = [
    "netrun.logging.middleware.CorrelationIdMiddleware",
    "netrun.cors.middleware.CorsMiddleware",
    "netrun.auth.middleware.JWTAuthenticationMiddleware",
    "netrun.rbac.middleware.TenantMiddleware",
    "netrun.errors.middleware.ErrorEnvelopeMiddleware",
]
PEERS_WHOLE = [
    "django_guid.middleware.guid_middleware",
    "django_structlog.middlewares.RequestMiddleware",
    "corsheaders.middleware.CorsMiddleware",
]


class NullSink(io.StringIO):
    def write(self, text: str) -> int:
        return len(text)


def view(request: Any, pk: int) -> Any:
    from django.http import HttpResponse

    return HttpResponse("ok")


def _rsa_pem() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def setup(redis_url: str | None = None) -> None:
    private_pem, public_pem = _rsa_pem()
    cache: dict[str, Any] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if redis_url:
        cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only",  # noqa: S106
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "corsheaders",
            "django_guid",
            "django_structlog",
            "netrun.core",
            "netrun.errors",
            "netrun.logging",
            "netrun.config",
            "netrun.auth",
            "netrun.cors",
            "netrun.rbac",
        ],
        MIDDLEWARE=[],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CACHES={"default": cache},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        DJANGO_GUID={"GUID_HEADER_NAME": "X-Correlation-ID", "RETURN_HEADER": True},
        # The whole stack: one key pair, one issuer and audience for both sides.
        NETRUN_AUTH_JWT_PRIVATE_KEY=private_pem,
        NETRUN_AUTH_JWT_ISSUER=ISSUER,
        NETRUN_AUTH_JWT_AUDIENCE=AUDIENCE,
        NETRUN_AUTH_STATELESS_USERS=True,
        NETRUN_RBAC_TENANT_STRATEGIES=["jwt"],
        NETRUN_CORS_PRESET="custom",
        NETRUN_CORS_ALLOWED_ORIGINS=[ORIGIN],
        CORS_ALLOWED_ORIGINS=[ORIGIN],
        SIMPLE_JWT={
            "ALGORITHM": "RS256",
            "SIGNING_KEY": private_pem,
            "VERIFYING_KEY": public_pem,
            "ISSUER": ISSUER,
            "AUDIENCE": AUDIENCE,
            "USER_ID_CLAIM": "sub",
        },
        REST_FRAMEWORK={"UNAUTHENTICATED_USER": None},
        LOGGING_CONFIG=None,
        USE_TZ=True,
    )
    django.setup()


urlpatterns: list[Any] = []


def whole_stack_views() -> tuple[Any, Any, Any]:
    """The same DRF view: authenticated by netrun's JWT, by simplejwt's, and by nothing.

    The last is the baseline of the whole-stack comparison (no middleware, no authentication),
    so the overhead of each stack is everything it adds to DRF itself.
    """
    from rest_framework.permissions import AllowAny, IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import APIView
    from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

    from netrun.auth.drf import JWTAuthentication

    class Order(APIView):
        permission_classes = [IsAuthenticated]

        def get(self, request: Any, pk: int) -> Any:
            return Response({"id": pk, "user": str(request.user.pk)})

    class NetrunOrder(Order):
        authentication_classes = [JWTAuthentication]

    class PeerOrder(Order):
        authentication_classes = [JWTStatelessUserAuthentication]

    class BareOrder(APIView):
        authentication_classes: list[Any] = []
        permission_classes = [AllowAny]

        def get(self, request: Any, pk: int) -> Any:
            return Response({"id": pk, "user": "42"})

    return NetrunOrder.as_view(), PeerOrder.as_view(), BareOrder.as_view()


def build_handler(middleware: list[str]) -> Callable[[dict[str, Any]], Any]:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    with override_settings(MIDDLEWARE=middleware):
        handler = WSGIHandler()

    def call(environ: dict[str, Any]) -> Any:
        return handler(dict(environ), lambda status, headers: None)

    return call


def environ(correlation_id: str, path: str = "/orders/7/", **extra: str) -> dict[str, Any]:
    return {
        **extra,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "HTTP_X_CORRELATION_ID": correlation_id,
    }


def timed(
    call: Callable[[dict[str, Any]], Any], count: int, env: dict[str, Any] | None = None
) -> float:
    env = env if env is not None else environ(REQUEST_ID)
    started = time.perf_counter()
    for _ in range(count):
        call(env)
    return (time.perf_counter() - started) / count


def compare(
    handlers: dict[str, Callable[[dict[str, Any]], Any]],
    envs: dict[str, dict[str, Any]],
    requests: int,
    rounds: int,
) -> dict[str, float]:
    """Best seconds per request of each handler.

    The handlers take turns request by request, in a new shuffled order each time, so the
    load of a shared machine, which changes from one millisecond to the next, hits them
    alike. Shuffled, not rotated: a rotation keeps the cyclic order, so one handler would
    mostly follow the same other one and pay for what that one left behind (its garbage
    collected, caches it cooled); the handler after the peers' paid about 80 us a request.
    """
    for name, call in handlers.items():
        timed(call, 200, envs[name])  # warm-up
    names = list(handlers)
    order = random.Random(0)  # the same orders on every run
    clock = time.perf_counter
    best: dict[str, float] = dict.fromkeys(handlers, float("inf"))
    for _ in range(rounds):
        spent = dict.fromkeys(handlers, 0.0)
        for _index in range(requests):
            order.shuffle(names)
            for name in names:
                call, env = handlers[name], envs[name]
                started = clock()
                call(env)
                spent[name] += clock() - started
        for name, seconds in spent.items():
            best[name] = min(best[name], seconds / requests)
    return best


def report(best: dict[str, float], netrun: str, peers: str, goal: float) -> None:
    base = best["baseline"]
    for name, seconds in best.items():
        overhead = seconds - base
        extra = "" if name == "baseline" else f"  overhead {overhead * 1e6:7.1f} us"
        print(f"{name:44s} {seconds * 1e6:8.1f} us/request{extra}")
    ratio = (best[netrun] - base) / (best[peers] - base)
    verdict = "OK" if ratio <= goal else "ABOVE GOAL"
    print(f"overhead ratio netrun/peers : {ratio:.2f}x (goal <= {goal}x) {verdict}")
    print(f"total ratio netrun/peers    : {best[netrun] / best[peers]:.2f}x")


def logging_stack(requests: int, rounds: int) -> None:
    handlers = {
        "baseline": build_handler(BASELINE),
        "netrun": build_handler(NETRUN),
        "django-guid + django-structlog": build_handler(PEERS),
    }
    # Check that both stacks do the job: the ID comes back in the response header.
    # django-guid validates IDs as UUIDs (its default), netrun by its character rule: a UUID
    # passes both.
    for name in ("netrun", "django-guid + django-structlog"):
        response = handlers[name](environ(REQUEST_ID))
        if response.status_code != 200 or response["X-Correlation-ID"] != REQUEST_ID:
            raise SystemExit(f"{name} did not return the request's correlation ID")
    envs = dict.fromkeys(handlers, environ(REQUEST_ID))
    best = compare(handlers, envs, requests, rounds)
    print(f"\ncorrelation + request log: {requests} requests per round, best of {rounds}")
    report(best, "netrun", "django-guid + django-structlog", GOAL)


def whole_stack(requests: int, rounds: int) -> None:
    from django.core.management import call_command

    from netrun.auth import get_jwt_manager
    from netrun.rbac.models import Tenant

    call_command("migrate", run_syncdb=True, verbosity=0)
    tenant = Tenant.objects.create(slug="acme", name="Acme")
    token = get_jwt_manager().create_access_token("42", roles=["agent"], tenant_id=tenant.pk)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ORIGIN": ORIGIN}
    netrun_name = "netrun (whole stack)"
    no_tenant = "netrun without TenantMiddleware"
    peers_name = "guid + structlog + cors-headers + simplejwt"
    handlers = {
        "baseline": build_handler(BASELINE),
        netrun_name: build_handler(NETRUN_WHOLE),
        # What the tenant middleware still costs with its cache.
        no_tenant: build_handler([m for m in NETRUN_WHOLE if not m.endswith("TenantMiddleware")]),
        peers_name: build_handler(PEERS_WHOLE),
    }
    envs = {
        "baseline": environ(REQUEST_ID, "/bare/7/"),
        netrun_name: environ(REQUEST_ID, "/netrun/7/", **headers),
        no_tenant: environ(REQUEST_ID, "/netrun/7/", **headers),
        peers_name: environ(REQUEST_ID, "/peers/7/", **headers),
    }
    # Both stacks do the whole job before anything is timed.
    for name in (netrun_name, peers_name):
        response = handlers[name](envs[name])
        if (
            response.status_code != 200
            or response["X-Correlation-ID"] != REQUEST_ID
            or response.get("Access-Control-Allow-Origin") != ORIGIN
            or b'"user":"42"' not in response.content
        ):
            raise SystemExit(f"{name} did not do the whole job: {response.status_code}")
    best = compare(handlers, envs, requests, rounds)
    from django.conf import settings as django_settings

    cache = django_settings.CACHES["default"]["BACKEND"].rpartition(".")[2]
    print(f"\nwhole production stack ({cache}): {requests} requests per round, best of {rounds}")
    report(best, netrun_name, peers_name, WHOLE_GOAL)
    base = best["baseline"]
    ratio = (best[no_tenant] - base) / (best[peers_name] - base)
    print(f"overhead ratio without the tenant middleware: {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--stack", choices=["logging", "whole", "both"], default="both")
    parser.add_argument("--redis", default=None, help="a Redis URL for the default cache")
    args = parser.parse_args()

    setup(args.redis)
    from django.urls import path

    netrun_view, peer_view, bare_view = whole_stack_views()
    urlpatterns.extend(
        [
            path("orders/<int:pk>/", view),
            path("bare/<int:pk>/", bare_view),
            path("netrun/<int:pk>/", netrun_view),
            path("peers/<int:pk>/", peer_view),
        ]
    )

    from netrun.logging import configure_logging

    configure_logging(app_name="bench", environment="production", stream=NullSink())
    # django-guid narrates every request at INFO ("X-Correlation-ID found in the header");
    # a production set-up silences that, and the comparison is of middleware, not chatter.
    logging.getLogger("django_guid").setLevel(logging.WARNING)

    if args.stack in ("logging", "both"):
        logging_stack(args.requests, args.rounds)
    if args.stack in ("whole", "both"):
        whole_stack(args.requests, args.rounds)


if __name__ == "__main__":
    main()
