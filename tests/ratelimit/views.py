"""Views the Django glue tests call through the test client."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from netrun.ratelimit import RateLimiter
from netrun.ratelimit.decorators import UNSAFE, ratelimit
from netrun.ratelimit.drf import NetrunRateThrottle, NetrunTenantRateThrottle


def ok(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"limited": getattr(request, "limited", None)})


@ratelimit(key="ip", rate="2/m")
def by_ip(request: HttpRequest) -> HttpResponse:
    return ok(request)


@ratelimit(key="user", rate="1/m")
def by_user(request: HttpRequest) -> HttpResponse:
    return ok(request)


@ratelimit(key="tenant", rate="1/m")
def by_tenant(request: HttpRequest) -> HttpResponse:
    return ok(request)


@ratelimit(key="header:x-api-key", rate="1/m", method=UNSAFE)
def by_header_unsafe(request: HttpRequest) -> HttpResponse:
    return ok(request)


def _plan_rate(group: str, request: HttpRequest) -> str | None:
    return None if request.GET.get("plan") == "unlimited" else "1/m"


@ratelimit(key="ip", rate=_plan_rate, block=False)
def not_blocking(request: HttpRequest) -> HttpResponse:
    return ok(request)


@ratelimit(key="ip", rate="10/m", cost=lambda group, request: int(request.GET.get("cost", 1)))
def weighted(request: HttpRequest) -> HttpResponse:
    return ok(request)


@ratelimit(key="ip", rate="1/m")
async def async_by_ip(request: HttpRequest) -> HttpResponse:
    return ok(request)


@ratelimit(key="user_or_ip", rate="1/m")
async def async_by_user(request: HttpRequest) -> HttpResponse:
    return ok(request)


def raises_rate_limited(request: HttpRequest) -> HttpResponse:
    RateLimiter("1/m").check("k", cost=0)  # allowed, peeks
    limiter = RateLimiter("1/m")
    limiter.check("k")
    limiter.check("k")  # raises RateLimited
    return ok(request)  # pragma: no cover - never reached


class ThrottledView(APIView):
    throttle_classes = [type("TwoPerMinute", (NetrunRateThrottle,), {"rate": "2/m", "key": "ip"})]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class ScopedView(APIView):
    throttle_classes = [NetrunTenantRateThrottle]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def django_ratelimit_view(request: HttpRequest) -> Any:
    from django_ratelimit.decorators import ratelimit as their_ratelimit

    @their_ratelimit(key="ip", rate="1/m")
    def inner(request: HttpRequest) -> HttpResponse:
        return ok(request)

    return inner(request)


_API_LIMITER: list[Any] = []


class CheckedInViewAPI(APIView):
    """A DRF view that calls ``limiter.check()`` itself: no netrun middleware involved."""

    authentication_classes = ()
    permission_classes = ()

    def get(self, request: Any) -> Any:
        from rest_framework.response import Response

        from netrun.ratelimit import MemoryBackend, RateLimiter

        if not _API_LIMITER:
            _API_LIMITER.append(RateLimiter("1/m", MemoryBackend()))
        _API_LIMITER[0].check("api-checked-in-view")
        return Response({"ok": True})
