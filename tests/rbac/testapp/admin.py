"""The test app's admin: tickets through TenantScopedAdmin (autodiscovered at django.setup())."""

from __future__ import annotations

from django.contrib import admin

from netrun.rbac.admin import TenantScopedAdmin
from tests.rbac.testapp.models import Ticket

admin.site.register(Ticket, TenantScopedAdmin)
