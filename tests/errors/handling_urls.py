"""Views for tests/errors/test_handling.py: successes, server errors and JSON bodies."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from netrun.errors import ConflictError, TenantContextMissingError, loads_json

#: The internal message a server error carries; it must not reach a client with DEBUG off.
INTERNAL = "No tenant is bound for helpdesk.Ticket: SELECT ... FROM helpdesk_ticket"

handler500 = "netrun.errors.views.handler500"


class Open(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []


class Echo(Open):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"items": len(request.data)})


class EchoDRFNegotiation(Echo):
    content_negotiation_class = DefaultContentNegotiation


class Conflict(Open):
    def get(self, request: Request) -> Response:
        raise ConflictError("Order 7 already exists.", order_id=7)


class NoTenant(Open):
    def get(self, request: Request) -> Response:
        raise TenantContextMissingError(INTERNAL, model="helpdesk.Ticket")


def plain_no_tenant(request: HttpRequest) -> HttpResponse:
    raise TenantContextMissingError(INTERNAL)


def plain_helper(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"items": len(loads_json(request.body))})


def plain_raw(request: HttpRequest) -> HttpResponse:
    # A view that parses with the standard library: the middleware still answers 400.
    return JsonResponse({"items": len(json.loads(request.body))})


def plain_recursion(request: HttpRequest) -> HttpResponse:
    # A RecursionError that is not the client's body: a server bug, a 500.
    def down(n: int) -> int:
        return down(n + 1)

    return HttpResponse(str(down(0)))


urlpatterns = [
    path("api/echo/", Echo.as_view()),
    path("api/echo-drf-negotiation/", EchoDRFNegotiation.as_view()),
    path("api/conflict/", Conflict.as_view()),
    path("api/no-tenant/", NoTenant.as_view()),
    path("api/plain/no-tenant/", plain_no_tenant),
    path("api/plain/helper/", plain_helper),
    path("api/plain/raw/", plain_raw),
    path("api/plain/recursion/", plain_recursion),
]
