"""The helpdesk's tickets and comments: tenant-scoped, so each tenant only ever sees its own."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from netrun.rbac.models import TenantScopedModel


class Ticket(TenantScopedModel):
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, default="open")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created",)
        permissions = [("summarize_ticket", "Can summarize a ticket with an LLM")]

    def __str__(self) -> str:
        return self.title


class Comment(TenantScopedModel):
    """A note on a ticket, written by an agent or, for ``kind="summary"``, by the LLM."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        SUMMARY = "summary", "LLM summary"

    # A comment can only point at a ticket of its own tenant: TenantScopedModel checks the
    # foreign key on save, so a forged ticket ID from another tenant is refused.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created",)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"
