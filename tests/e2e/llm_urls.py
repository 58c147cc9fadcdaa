"""A DRF endpoint that has a Celery task on a real worker summarise a ticket with the LLM."""

from __future__ import annotations

from typing import Any

from celery import Celery
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

#: Set by the test to the Celery app whose worker is running.
CELERY: dict[str, Celery] = {}


class SummariseTicket(APIView):
    authentication_classes = ()
    permission_classes = ()

    def post(self, request: Request, ticket_id: int) -> Response:
        task = CELERY["app"].tasks["tests.e2e.summarise_ticket"]
        summary: Any = task.delay(ticket_id).get(timeout=20)
        return Response(summary)


urlpatterns = [path("tickets/<int:ticket_id>/summarise/", SummariseTicket.as_view())]
