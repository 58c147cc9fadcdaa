"""Views of the attack suite: a DRF ticket API and plain views with the decorators."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from rest_framework import generics, serializers

from netrun.core.context import current_correlation_id, current_tenant_id
from netrun.rbac.decorators import role_required, tenant_member_required
from netrun.rbac.drf import HasPermission, IsTenantMember
from tests.rbac.testapp.models import Ticket


class TicketSerializer(serializers.ModelSerializer[Ticket]):
    class Meta:
        model = Ticket
        fields = ("id", "title", "status")


class TicketList(generics.ListCreateAPIView[Ticket]):
    queryset = Ticket.objects.all()  # built at import time: scoped when it runs
    serializer_class = TicketSerializer
    permission_classes = [IsTenantMember, HasPermission("testapp.view_ticket")]


class TicketDetail(generics.RetrieveUpdateDestroyAPIView[Ticket]):
    queryset = Ticket.objects.all()
    serializer_class = TicketSerializer
    permission_classes = [IsTenantMember]


@tenant_member_required
def whoami(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"tenant_id": current_tenant_id(), "count": Ticket.objects.count()})


@tenant_member_required
async def async_whoami(request: HttpRequest) -> JsonResponse:
    titles = [t.title async for t in Ticket.objects.all()]
    return JsonResponse({"tenant_id": current_tenant_id(), "titles": titles})


def _line() -> str:
    return json.dumps(
        {"correlation_id": current_correlation_id(), "tenant_id": current_tenant_id()}
    )


#: What the streamed bodies saw when the client hung up (the close runs in the context too).
CLOSED_IN: list[str] = []


@tenant_member_required
def stream_whoami(request: HttpRequest) -> StreamingHttpResponse:
    def body() -> Iterator[str]:
        try:
            for _ in range(3):
                titles = list(Ticket.objects.values_list("title", flat=True))
                yield json.dumps({**json.loads(_line()), "titles": titles}) + "\n"
        finally:
            CLOSED_IN.append(_line())

    return StreamingHttpResponse(body(), content_type="application/x-ndjson")


@tenant_member_required
async def async_stream_whoami(request: HttpRequest) -> StreamingHttpResponse:
    async def body() -> AsyncIterator[str]:
        try:
            for _ in range(3):
                titles = [t.title async for t in Ticket.objects.all()]
                yield json.dumps({**json.loads(_line()), "titles": titles}) + "\n"
        finally:
            CLOSED_IN.append(_line())

    return StreamingHttpResponse(body(), content_type="application/x-ndjson")


@role_required("agent", "admin")
def agents_only(request: HttpRequest, **kwargs: Any) -> JsonResponse:
    return JsonResponse({"ok": True})
