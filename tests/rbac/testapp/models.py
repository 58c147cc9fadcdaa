"""Tenant-scoped models of the attack suite: tickets, their comments, and tags (M2M)."""

from __future__ import annotations

from django.db import models

from netrun.rbac.models import TenantScopedModel


class Tag(TenantScopedModel):
    name = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.name


class Ticket(TenantScopedModel):
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, default="open")
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.title


class Comment(TenantScopedModel):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()

    def __str__(self) -> str:
        return self.body[:20]


class Note(models.Model):
    """Not tenant-scoped: for the isolation assertion's negative cases."""

    tenant_id = models.CharField(max_length=64)
    text = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.text
