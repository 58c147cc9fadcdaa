"""The helpdesk's tickets: tenant-scoped, so each tenant only ever sees its own."""

from __future__ import annotations

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
