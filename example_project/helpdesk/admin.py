from __future__ import annotations

from django.contrib import admin

from example_project.helpdesk.models import Comment, Ticket
from netrun.rbac.admin import TenantScopedAdmin


@admin.register(Ticket)
class TicketAdmin(TenantScopedAdmin):
    list_display = ("title", "status", "tenant", "created")
    list_filter = ("status",)


@admin.register(Comment)
class CommentAdmin(TenantScopedAdmin):
    list_display = ("ticket", "kind", "author", "tenant", "created")
    list_filter = ("kind",)
    raw_id_fields = ("ticket", "author")
