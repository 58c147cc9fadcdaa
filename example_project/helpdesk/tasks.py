"""Celery tasks of the helpdesk. ``@tenant_task`` carries the publisher's tenant to the worker."""

from __future__ import annotations

from example_project.helpdesk.assistant import summarise_ticket
from example_project.helpdesk.models import Ticket
from netrun.rbac.celery import tenant_task


@tenant_task
def summarise_ticket_task(ticket_id: int, reason: str | None = None) -> int:
    """Summarise a ticket in the background; returns the summary comment's ID.

    The worker binds the tenant from the message before this body runs, so the scoped
    ``Ticket.objects`` finds only that tenant's ticket, and the tenant's policy and budget
    apply exactly as in the request.
    """
    ticket = Ticket.objects.get(pk=ticket_id)
    comment, _ = summarise_ticket(ticket, reason=reason)
    return comment.pk
