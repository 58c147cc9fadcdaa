from __future__ import annotations

from django.contrib import admin

from example_project.helpdesk.models import Ticket
from netrun.rbac.admin import TenantScopedAdmin


@admin.register(Ticket)
class TicketAdmin(TenantScopedAdmin):
    list_display = ("title", "status", "tenant", "created")
    list_filter = ("status",)
