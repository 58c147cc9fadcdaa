"""A DRF endpoint that logs, runs a Celery task on a real worker, then fails with a 409."""

from __future__ import annotations

from typing import Any

from celery import Celery
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from netrun.errors import ConflictError
from netrun.logging import get_logger

logger = get_logger(__name__)

#: Set by the test to the Celery app whose worker is running.
CELERY: dict[str, Celery] = {}


class EscalateTicket(APIView):
    authentication_classes = ()
    permission_classes = ()

    def post(self, request: Request, ticket_id: int) -> Response:
        logger.info("ticket_escalating", ticket_id=ticket_id)
        task = CELERY["app"].tasks["tests.e2e.notify_oncall"]
        task_seen: Any = task.delay(ticket_id).get(timeout=20)
        logger.info("oncall_notified", ticket_id=ticket_id, task_saw=task_seen)
        raise ConflictError(
            "Ticket is already escalated", {"ticket_id": ticket_id, "task_saw": task_seen}
        )


urlpatterns = [path("tickets/<int:ticket_id>/escalate/", EscalateTicket.as_view())]
